package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.capturepackets.analysis.AnalysisOptions;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Analyzer;
import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestNamespace;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * End to end on a real cluster (run with -Pe2e; the local harness, a kubeconfig or K3s, see TestCluster): a class of
 * several tests captures its pod through one ephemeral container, sliced per test.
 */
class ClusterCaptureIT {
    static final String NAMESPACE = "capture-packets-junit-it";
    static final TestNamespace NS = new TestNamespace(NAMESPACE);
    static final int TESTS = 5;

    static TestCluster cluster;

    @TempDir
    Path out;

    @BeforeAll
    static void deploy() {
        cluster = TestCluster.resolve();
        KubernetesClient client = cluster.client();
        E2ePods.recreateNamespace(client, NAMESPACE);
        E2ePods.createAppPod(cluster, NS, "web");
        E2ePods.createAppPod(cluster, NS, "keep");
        E2ePods.createAppPod(cluster, NS, "gone");
        FixtureCluster.cluster = cluster;
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

    /** Holds what the fixture needs; set by the outer test before the fixture runs. */
    static final class FixtureCluster {
        static TestCluster cluster;
    }

    @CapturePackets(namespace = NAMESPACE, selector = "app=web", retention = CapturePackets.Retention.ALWAYS)
    static class PodTestCases {
        @CaptureCluster
        static KubernetesClient client;

        @RepeatedTest(TESTS)
        void request(org.junit.jupiter.api.RepetitionInfo info) throws Exception {
            E2ePods.sendHttpRequest(FixtureCluster.cluster, NS, "web", "/r" + info.getCurrentRepetition());
        }
    }

    @Test
    @DisplayName("Five tests add one ephemeral capture container to the pod, and each test's capture holds its own request")
    void oneEphemeralContainerPerPodForTheClass() {
        PodTestCases.client = cluster.client();
        EngineExecutionResults results = Fixtures.run(out, PodTestCases.class,
                Map.of("capturepackets.filter", "tcp port " + E2ePods.APP_PORT,
                        "capturepackets.image", cluster.tcpdumpImage()));

        results.testEvents().assertStatistics(s -> s.succeeded(TESTS));
        Pod pod = cluster.client().pods().inNamespace(NAMESPACE).withName("web").get();
        assertThat(pod.getSpec().getEphemeralContainers()).hasSize(1);
        for (int i = 1; i <= TESTS; i++) {
            Path capture = Fixtures.testDir(out, PodTestCases.class, "request[" + i + "]").resolve("capture.pcapng");
            assertThat(CapturePacketsExtensionTest.httpUris(capture)).containsExactly("/r" + i);
        }
    }

    @CapturePackets(namespace = NAMESPACE, selector = "app=web", mode = CapturePackets.Mode.NODE,
            retention = CapturePackets.Retention.ALWAYS)
    static class NodeTestCases {
        @CaptureCluster
        static KubernetesClient client;

        @Test
        void request() throws Exception {
            E2ePods.sendHttpRequest(FixtureCluster.cluster, NS, "web", "/node-mode");
        }
    }

    @Test
    @DisplayName("Node mode records the pod's packets on each host interface they cross; the test's verdicts count "
            + "each packet once")
    void nodeModeCountsEachPacketOnce() throws Exception {
        NodeTestCases.client = cluster.client();
        EngineExecutionResults results = Fixtures.run(out, NodeTestCases.class,
                Map.of("capturepackets.filter", "tcp port " + E2ePods.APP_PORT,
                        "capturepackets.image", cluster.tcpdumpImage()));

        results.testEvents().assertStatistics(s -> s.succeeded(1));
        Path dir = Fixtures.testDir(out, NodeTestCases.class, "request");
        Path capture = dir.resolve("capture.pcapng");
        assertThat(CapturePacketsExtensionTest.httpUris(capture)).contains("/node-mode");
        // The raw capture has the copies (the pod's veth and the bridge): counted as Wireshark counts them, they
        // are retransmissions and duplicate ACKs.
        AnalysisReport raw = Analyzer.analyze(List.of(capture), AnalysisOptions.defaults());
        assertThat(raw.stats().tcp().retransmissions() + raw.stats().tcp().duplicateAcks())
                .as("copies in the node capture").isPositive();
        JsonNode verdicts = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
        assertThat(verdicts.at("/stats/tcp/retransmissions").isIntegralNumber())
                .as("/stats/tcp/retransmissions is present, as an integer (a missing field also reads 0)").isTrue();
        assertThat(verdicts.at("/stats/tcp/retransmissions").longValue()).isZero();
        assertThat(verdicts.at("/stats/tcp/duplicateAcks").isIntegralNumber())
                .as("/stats/tcp/duplicateAcks is present, as an integer (a missing field also reads 0)").isTrue();
        assertThat(verdicts.at("/stats/tcp/duplicateAcks").longValue()).isZero();
        assertThat(verdicts.at("/stats/http/requests").asLong()).isEqualTo(1);
        assertThat(verdicts.toString()).contains("capture.interface-duplicate");
    }

    @CapturePackets(namespace = NAMESPACE, pods = {"keep", "gone"}, retention = CapturePackets.Retention.ALWAYS)
    static class VanishingPodTestCases {
        @CaptureCluster
        static KubernetesClient client;

        @Test
        void podDeletedMidTest() throws Exception {
            E2ePods.sendHttpRequest(FixtureCluster.cluster, NS, "keep", "/before");
            E2ePods.sendHttpRequest(FixtureCluster.cluster, NS, "gone", "/before");
            client.pods().inNamespace(NAMESPACE).withName("gone").withGracePeriod(0).delete();
            client.pods().inNamespace(NAMESPACE).withName("gone").waitUntilCondition(p -> p == null, 1,
                    TimeUnit.MINUTES);
            // The engine follows its targets with a watch backed by a one-second poll.
            Thread.sleep(2_000);
            E2ePods.sendHttpRequest(FixtureCluster.cluster, NS, "keep", "/after");
        }
    }

    @Test
    @DisplayName("A pod deleted in the middle of a test is in that test's report: complete false, the pod named, "
            + "in the entries, verdicts.json and the Markdown summary (issue 13, point 2)")
    void vanishedPodInTheTestsReport() throws Exception {
        VanishingPodTestCases.client = cluster.client();
        EngineExecutionResults results = Fixtures.run(out, VanishingPodTestCases.class,
                Map.of("capturepackets.filter", "tcp port " + E2ePods.APP_PORT,
                        "capturepackets.image", cluster.tcpdumpImage()));
        results.testEvents().assertStatistics(s -> s.succeeded(1).failed(0));

        Map<String, String> entry = CapturePacketsExtensionTest.entriesByTest(results).get("podDeletedMidTest()");
        assertThat(entry).containsEntry("capturepackets.complete", "false");
        String deleted = "pod " + NAMESPACE + "/gone was deleted during the capture";
        assertThat(entry.get("capturepackets.summary")).contains(deleted);
        Path dir = Fixtures.testDir(out, VanishingPodTestCases.class, "podDeletedMidTest");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
        assertThat(json.path("complete").isBoolean()).isTrue();
        assertThat(json.path("complete").asBoolean()).isFalse();
        assertThat(json.path("problems").findValuesAsText("message")).anySatisfy(m -> assertThat(m).contains(deleted));
        assertThat(json.path("verdicts").findValuesAsText("rule")).contains("capture.incomplete");
        assertThat(java.nio.file.Files.readString(dir.resolve("summary.md"))).contains("Capture incomplete")
                .contains(deleted);
        // The pod that stayed is whole: its requests before and after the deletion are in the capture.
        assertThat(CapturePacketsExtensionTest.httpUris(dir.resolve("capture.pcapng")))
                .containsSubsequence("/before", "/after");
    }
}
