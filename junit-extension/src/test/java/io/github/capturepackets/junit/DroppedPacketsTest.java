package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.capturepackets.analysis.AnalysisOptions;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Analyzer;
import io.github.capturepackets.testing.Needs;
import io.github.capturepackets.testing.TcpBurst;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Issue 16 in local mode, through the real engine and the real tcpdump: a test whose capture lost packets (a ring
 * far too small for a loopback burst) says so in every place a user reads, and the default settings capture a
 * 100 MB burst whole. The payload oracle is tshark on the test's merged capture.
 */
@RequiresLocalCapture
@DisplayName("Dropped packets: a test's own result says complete: false with the count; defaults drop none")
class DroppedPacketsTest {
    private static final Map<String, Long> SENT = new ConcurrentHashMap<>();
    private static final Map<String, Integer> PORTS = new ConcurrentHashMap<>();

    @TempDir
    Path out;

    static void burst(String name, long bytes) throws Exception {
        try (TcpBurst burst = new TcpBurst(InetAddress.getByName(LocalHttp.ADDRESS))) {
            PORTS.put(name, burst.port());
            SENT.put(name, burst.send(bytes));
        }
    }

    @CapturePackets(bufferSize = 1024, retention = CapturePackets.Retention.ALWAYS)
    static class TinyRingTestCases {
        @Test
        void burst() throws Exception {
            DroppedPacketsTest.burst("tiny", 64L << 20);
        }
    }

    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    static class DefaultRingTestCases {
        @Test
        void burst() throws Exception {
            DroppedPacketsTest.burst("default", 100L << 20);
        }
    }

    @Test
    @DisplayName("a 1 MiB ring under a 64 MB burst: entries, verdicts.json, summary and the merged pcapng all carry the drops")
    void tinyRingSaysSo() throws Exception {
        Needs.tools("tshark");
        EngineExecutionResults results = Fixtures.run(out, TinyRingTestCases.class);
        results.testEvents().assertStatistics(s -> s.succeeded(1).failed(0));

        Map<String, String> entry = CapturePacketsExtensionTest.entriesByTest(results).get("burst()");
        long dropped = Long.parseLong(entry.get("capturepackets.dropped"));
        assertThat(dropped).as("kernel drops in the test's window").isPositive();
        assertThat(entry).containsEntry("capturepackets.complete", "false");
        assertThat(entry.get("capturepackets.summary")).contains("capture.dropped x" + dropped)
                .contains("the kernel dropped " + dropped + " of ").contains("Raise bufferSize");

        Path dir = Fixtures.testDir(out, TinyRingTestCases.class, "burst");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
        assertThat(json.path("complete").isBoolean()).as("complete is written").isTrue();
        assertThat(json.path("complete").asBoolean()).isFalse();
        assertThat(json.path("droppedPackets").asLong(-1)).isEqualTo(dropped);
        assertThat(json.path("verdicts").findValuesAsText("rule")).contains("capture.dropped");
        assertThat(Files.readString(dir.resolve("summary.md"))).contains("Capture dropped packets");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("Capture dropped packets");

        // Analyzed again later from the attachment alone, the merged capture says the same.
        AnalysisReport merged = Analyzer.analyze(List.of(dir.resolve("capture.pcapng")), AnalysisOptions.defaults());
        assertThat(merged.complete()).isFalse();
        assertThat(merged.droppedPackets()).isEqualTo(dropped);
        assertThat(io.github.capturepackets.testing.TcpBurst.payloadTo(dir.resolve("capture.pcapng"),
                PORTS.get("tiny"))).as("payload captured").isLessThan(SENT.get("tiny"));
    }

    @Test
    @DisplayName("default settings: a 100 MB loopback burst is captured whole, zero drops, every payload byte")
    void defaultsDropNothing() throws Exception {
        Needs.tools("tshark");
        EngineExecutionResults results = Fixtures.run(out, DefaultRingTestCases.class);
        results.testEvents().assertStatistics(s -> s.succeeded(1).failed(0));

        Map<String, String> entry = CapturePacketsExtensionTest.entriesByTest(results).get("burst()");
        assertThat(entry).containsEntry("capturepackets.dropped", "0").containsEntry("capturepackets.complete", "true");
        Path dir = Fixtures.testDir(out, DefaultRingTestCases.class, "burst");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
        assertThat(json.path("complete").asBoolean(false)).isTrue();
        assertThat(json.path("droppedPackets").isNumber()).as("droppedPackets is written").isTrue();
        assertThat(json.path("droppedPackets").asLong()).isZero();
        assertThat(TcpBurst.payloadTo(dir.resolve("capture.pcapng"), PORTS.get("default")))
                .as("payload bytes in the test's capture").isEqualTo(SENT.get("default"));
    }
}
