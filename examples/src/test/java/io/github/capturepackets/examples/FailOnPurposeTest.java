package io.github.capturepackets.examples;

import io.github.capturepackets.junit.CapturePackets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Shows what a failure looks like: run with {@code -Dexamples.failOnPurpose=true}. The checkout answers 500 and
 * {@code failOn = "http.5xx"} fails the test with the findings; the capture, verdicts and reports are kept (retention
 * ON_FAILURE) and attached to this test case in target/surefire-reports/*.xml.
 */
@CapturePackets(failOn = "http.5xx")
@EnabledIfSystemProperty(named = "examples.failOnPurpose", matches = "true",
        disabledReason = "fails on purpose; run with -Dexamples.failOnPurpose=true to see the on-failure attachments")
class FailOnPurposeTest {

    @Test
    @DisplayName("A checkout that gets a 500 fails on its network verdict")
    void checkout() throws Exception {
        try (ShopService shop = ShopService.start(ShopServiceTest.ADDRESS)) {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(shop.baseUrl() + "/checkout")).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
    }
}
