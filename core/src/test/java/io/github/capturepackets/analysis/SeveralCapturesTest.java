package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.ScenarioCaptures;
import io.github.capturepackets.testing.ScenarioCaptures.Scenario;
import io.github.capturepackets.testing.ScenarioCaptures.View;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several pods' captures analyzed together count every pod's messages (issue 13, point 1): three pods that each
 * served the same exchange are three times one pod, in every HTTP and DNS counter, and status counts add up to
 * the responses. The exchanges are the real scenario captures.
 */
class SeveralCapturesTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Scenario.class, names = {"HTTP", "DNS"})
    @org.junit.jupiter.api.DisplayName("three pods with the same traffic count three times one pod's messages")
    void threePodsCountThrice(Scenario scenario) {
        Path capture = ScenarioCaptures.get().path(scenario, View.ETHERNET);
        Stats one = Analyzer.analyze(List.of(capture), List.of("ns/a"), AnalysisOptions.defaults(), List.of())
                .stats();
        Stats three = Analyzer.analyze(List.of(capture, capture, capture), List.of("ns/a", "ns/b", "ns/c"),
                AnalysisOptions.defaults(), List.of()).stats();

        assertThat(one.http().requests() + one.dns().queries()).as("the scenario has messages").isPositive();
        assertThat(three.http().requests()).isEqualTo(3 * one.http().requests());
        assertThat(three.http().responses()).isEqualTo(3 * one.http().responses());
        Map<Integer, Long> tripled = new TreeMap<>();
        one.http().status().forEach((code, n) -> tripled.put(code, 3 * n));
        assertThat(three.http().status()).isEqualTo(tripled);
        assertThat(three.http().status().values().stream().mapToLong(Long::longValue).sum())
                .as("status counts add up to the responses").isEqualTo(three.http().responses());
        assertThat(three.dns().queries()).isEqualTo(3 * one.dns().queries());
        assertThat(three.dns().responses()).isEqualTo(3 * one.dns().responses());
        assertThat(three.dns().nxdomain()).isEqualTo(3 * one.dns().nxdomain());
        assertThat(three.dns().servfail()).isEqualTo(3 * one.dns().servfail());
        assertThat(three.dns().refused()).isEqualTo(3 * one.dns().refused());
    }
}
