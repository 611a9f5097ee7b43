package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestNamespace;
import io.github.capturepackets.testing.Needs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * Issue 16 on a real cluster (-Pe2e): pod a downloads files of 20 and 100 MB from pod b's busybox httpd at full
 * speed while b is captured through its ephemeral container. With a 1 MiB ring the test's own result says
 * complete: false with the drop count; with default settings every payload byte the server sent is in the test's
 * capture, with zero drops. The oracle is tshark: payload bytes from port 8080 against the sequence number of the
 * server's FIN (the bytes it sent, whatever the capture missed).
 */
@DisplayName("Dropped packets on a real cluster: a tiny ring says so, the defaults capture 20 and 100 MB whole")
class DroppedPacketsClusterIT {
    static final String NAMESPACE = "capture-packets-drops-it";
    static final TestNamespace NS = new TestNamespace(NAMESPACE);
    static final Map<String, Long> FILES = Map.of("f20", 20L << 20, "f100", 100L << 20);

    static TestCluster cluster;
    static String serverIp;

    @TempDir
    Path out;

    @BeforeAll
    static void deploy() {
        cluster = TestCluster.resolve();
        KubernetesClient client = cluster.client();
        E2ePods.recreateNamespace(client, NAMESPACE);
        serverIp = E2ePods.createFileServerPod(cluster, NS, "b", 20, 100).getStatus().getPodIP();
        E2ePods.createAppPod(cluster, NS, "a");
        Fixture.cluster = cluster;
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (cluster != null) {
            try {
                cluster.client().namespaces().withName(NAMESPACE).delete();
            } finally {
                cluster.close();
            }
        }
    }

    static final class Fixture {
        static TestCluster cluster;

        /** Pod a fetches a file from pod b at full speed, pod to pod. */
        static void download(String file) {
            E2ePods.ExecResult result = E2ePods.exec(cluster.client(), NS, "a", "app", Duration.ofMinutes(3),
                    "wget", "-q", "-O", "/dev/null", "http://" + serverIp + ":" + E2ePods.APP_PORT + "/" + file);
            if (result.exitCode() != 0) {
                throw new AssertionError("wget of " + file + " failed: " + result.stderr());
            }
        }
    }

    @CapturePackets(namespace = NAMESPACE, pods = "b", bufferSize = 1024,
            retention = CapturePackets.Retention.ALWAYS)
    static class TinyRingTestCases {
        @CaptureCluster
        static KubernetesClient client;

        @Test
        void f100() {
            Fixture.download("f100");
        }
    }

    @CapturePackets(namespace = NAMESPACE, pods = "b", retention = CapturePackets.Retention.ALWAYS)
    static class DefaultTestCases {
        @CaptureCluster
        static KubernetesClient client;

        @Test
        void f20() {
            Fixture.download("f20");
        }

        @Test
        void f100() {
            Fixture.download("f100");
        }
    }

    private EngineExecutionResults run(Class<?> fixture) {
        return Fixtures.run(out, fixture, Map.of("capturepackets.filter", "tcp port " + E2ePods.APP_PORT,
                "capturepackets.image", cluster.tcpdumpImage()));
    }

    @Test
    @DisplayName("a 1 MiB ring under a 100 MB download: the test's entries, verdicts.json and summary say "
            + "complete: false with the drop count and capture.dropped")
    void tinyRingSaysSo() throws Exception {
        Needs.tools("tshark");
        TinyRingTestCases.client = cluster.client();
        EngineExecutionResults results = run(TinyRingTestCases.class);
        results.testEvents().assertStatistics(s -> s.succeeded(1).failed(0));

        Map<String, String> entry = CapturePacketsExtensionTest.entriesByTest(results).get("f100()");
        long dropped = Long.parseLong(entry.get("capturepackets.dropped"));
        assertThat(dropped).as("kernel drops in the test's window: " + entry).isPositive();
        assertThat(entry).containsEntry("capturepackets.complete", "false");
        assertThat(entry.get("capturepackets.summary")).contains("capture.dropped x" + dropped)
                .contains(NAMESPACE + "/b").contains("Raise bufferSize");
        Path dir = Fixtures.testDir(out, TinyRingTestCases.class, "f100");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
        assertThat(json.path("complete").isBoolean()).isTrue();
        assertThat(json.path("complete").asBoolean()).isFalse();
        assertThat(json.path("droppedPackets").asLong(-1)).isEqualTo(dropped);
        assertThat(json.path("verdicts").findValuesAsText("rule")).contains("capture.dropped");
        Sent sent = Sent.of(dir.resolve("capture.pcapng"));
        assertThat(sent.payload()).as("payload captured behind a tiny ring").isLessThan(FILES.get("f100"));
    }

    @Test
    @DisplayName("default settings: 20 and 100 MB downloads are captured with zero drops and every payload byte")
    void defaultsCaptureEverything() throws Exception {
        Needs.tools("tshark");
        DefaultTestCases.client = cluster.client();
        EngineExecutionResults results = run(DefaultTestCases.class);
        results.testEvents().assertStatistics(s -> s.succeeded(2).failed(0));

        Map<String, Map<String, String>> entries = CapturePacketsExtensionTest.entriesByTest(results);
        for (String test : FILES.keySet()) {
            Map<String, String> entry = entries.get(test + "()");
            assertThat(entry).as(test).containsEntry("capturepackets.dropped", "0")
                    .containsEntry("capturepackets.complete", "true");
            Path dir = Fixtures.testDir(out, DefaultTestCases.class, test);
            JsonNode json = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
            assertThat(json.path("complete").asBoolean(false)).as(test).isTrue();
            assertThat(json.path("droppedPackets").isNumber()).isTrue();
            assertThat(json.path("droppedPackets").asLong()).isZero();
            Sent sent = Sent.of(dir.resolve("capture.pcapng"));
            assertThat(sent.bytesSent()).as(test + ": the server's FIN is in the capture").isPositive();
            assertThat(sent.payload()).as(test + ": payload bytes from the server").isEqualTo(sent.bytesSent())
                    .isGreaterThan(FILES.get(test));
        }
    }

    /**
     * What the server sent on its one connection, by tshark: payload captured, and the bytes it sent by its FIN's
     * relative sequence number (0 when no FIN was captured).
     */
    record Sent(long payload, long bytesSent) {
        static Sent of(Path capture) throws IOException, InterruptedException {
            long payload = io.github.capturepackets.testing.TcpBurst.coveredPayload(capture,
                    "tcp.srcport == " + E2ePods.APP_PORT);
            // The FIN may carry the last data: the bytes sent end at its sequence number plus its length.
            long sent = 0;
            for (String line : tshark(capture, "tcp.srcport == " + E2ePods.APP_PORT + " && tcp.flags.fin == 1",
                    "tcp.seq", "tcp.len")) {
                String[] fields = line.split("\\s+");
                sent = Math.max(sent, Long.parseLong(fields[0]) + Long.parseLong(fields[1]) - 1);
            }
            return new Sent(payload, sent);
        }

        private static java.util.List<String> tshark(Path capture, String filter, String... fields)
                throws IOException, InterruptedException {
            java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("tshark", "-n", "-r",
                    capture.toString(), "-Y", filter, "-T", "fields"));
            for (String field : fields) {
                command.add("-e");
                command.add(field);
            }
            Process tshark = new ProcessBuilder(command).start();
            String text = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!tshark.waitFor(120, TimeUnit.SECONDS) || tshark.exitValue() != 0) {
                throw new IOException("tshark failed on " + capture + ": "
                        + new String(tshark.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }
}
