package io.github.capturepackets.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.analysis.Verdict;
import io.github.capturepackets.junit.CapturePackets;
import io.github.capturepackets.junit.PacketCapture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Local mode: no cluster, tcpdump captures this test's own traffic on the loopback interface (needs root and
 * tcpdump). Files stay in target/capture-packets/io.github.capturepackets.examples.ShopServiceTest/.
 */
@CapturePackets(retention = CapturePackets.Retention.ALWAYS)
class ShopServiceTest {
    static final String ADDRESS = "127.0.78.1";
    private static ShopService shop;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void startShop() {
        shop = ShopService.start(ADDRESS);
    }

    @AfterAll
    static void stopShop() {
        shop.close();
    }

    private int get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(shop.baseUrl() + path)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    @DisplayName("A healthy exchange: one request, one 200, verdict PASS")
    void health(PacketCapture capture) throws Exception {
        assertThat(get("/health")).isEqualTo(200);

        AnalysisReport report = capture.analyzeSoFar();
        assertThat(report.stats().http().responses()).isEqualTo(1);
        assertThat(report.verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    @DisplayName("The checkout's 500 is on the wire: the analyzer reports http.5xx")
    void checkoutServerError(PacketCapture capture) throws Exception {
        capture.mark("checkout submitted");
        assertThat(get("/checkout")).isEqualTo(500);

        AnalysisReport report = capture.analyzeSoFar();
        assertThat(report.verdicts()).extracting(Finding::rule).contains(Rule.HTTP_SERVER_ERROR);
        assertThat(report.markers()).extracting(m -> m.label()).contains("checkout submitted");
    }

    @Test
    @DisplayName("The payment backend resets the connection: the analyzer reports tcp.reset")
    void paymentReset(PacketCapture capture) throws Exception {
        try (Socket socket = new Socket(shop.paymentsAddress().getAddress(), shop.paymentsAddress().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write("PAY 42\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            assertThatThrownBy(() -> {
                while (in.read() >= 0) {
                    // Wait for the reset.
                }
                throw new IOException("closed without a reset");
            }).isInstanceOf(IOException.class).hasMessageContaining("reset");
        }

        assertThat(capture.analyzeSoFar().verdicts()).extracting(Finding::rule).contains(Rule.TCP_RESET);
    }
}
