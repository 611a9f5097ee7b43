package io.github.capturepackets.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestNamespace;
import io.github.capturepackets.junit.CaptureCluster;
import io.github.capturepackets.junit.CapturePackets;
import io.github.capturepackets.junit.PacketCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Against a real cluster (run with -Pe2e): the project's local cluster ({@code cluster/local-cluster.sh run -- ./mvnw
 * -B -Pe2e -pl examples -am verify}), any kubeconfig ({@code -Dcapturepackets.e2e.kubeconfig=...}), or K3s from
 * testcontainers when Docker is there; skipped with a message naming what is missing otherwise. The class's pods get
 * one ephemeral capture container for all its tests.
 */
// The suite's junit-platform.properties filter is for the local examples' loopback address; the pod's traffic needs
// its own.
@CapturePackets(namespace = ShopClusterIT.NAMESPACE, selector = "app=shop", filter = "tcp port 8080",
        retention = CapturePackets.Retention.ALWAYS)
class ShopClusterIT {
    static final String NAMESPACE = "capture-packets-examples";
    private static final TestNamespace NS = new TestNamespace(NAMESPACE);

    private static TestCluster cluster;

    /** The extension finds this field; nothing else is needed to point the capture at the cluster. */
    @CaptureCluster
    static KubernetesClient client;

    @BeforeAll
    static void deploy() {
        cluster = TestCluster.resolve();
        client = cluster.client();
        E2ePods.recreateNamespace(client, NAMESPACE);
        E2ePods.createAppPod(cluster, NS, "shop");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (cluster != null) {
            try {
                client.namespaces().withName(NAMESPACE).delete();
            } finally {
                cluster.close();
            }
        }
    }

    @Test
    @DisplayName("The shop's page loads, and the pod's capture shows the exchange")
    void pageLoads(PacketCapture capture) throws Exception {
        capture.mark("page requested");
        assertThat(E2ePods.sendHttpRequest(cluster, NS, "shop", "/index.html")).contains("capture-packets e2e app");

        AnalysisReport report = capture.analyzeSoFar();
        assertThat(report.stats().http().responses()).isGreaterThanOrEqualTo(1);
        assertThat(report.sources()).isNotEmpty();
    }

    @Test
    @DisplayName("A missing page is a 404 on the pod's wire: http.4xx")
    void missingPage(PacketCapture capture) throws Exception {
        E2ePods.sendHttpRequest(cluster, NS, "shop", "/missing");

        assertThat(capture.analyzeSoFar().verdicts()).extracting(Finding::rule).contains(Rule.HTTP_CLIENT_ERROR);
    }
}
