package io.github.capturepackets.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.junit.CapturePackets;
import io.github.capturepackets.junit.PacketCapture;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * With testcontainers' K3s (run with -Pe2e where Docker is available; skipped with the reason otherwise). The only
 * thing the capture needs is the annotation: the extension finds the {@code K3sContainer} field by itself.
 */
@CapturePackets(namespace = "default", selector = "app=shop", retention = CapturePackets.Retention.ALWAYS)
class ShopK3sIT {

    static K3sContainer k3s;
    private static KubernetesClient client;

    @BeforeAll
    static void startK3s() {
        if (!dockerAvailable()) {
            return; // the test itself reports the skip, with the reason
        }
        k3s = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.34.1-k3s1"));
        k3s.start();
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build();
        Pod pod = new PodBuilder().withNewMetadata().withName("shop").addToLabels("app", "shop").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("docker.io/library/busybox:1.36.1")
                .withCommand("sh", "-c", "mkdir -p /www && echo shop > /www/index.html && exec httpd -f -p 8080 -h /www")
                .endContainer().endSpec().build();
        client.pods().inNamespace("default").resource(pod).create();
        client.pods().inNamespace("default").withName("shop").waitUntilReady(3, TimeUnit.MINUTES);
    }

    @AfterAll
    static void stopK3s() {
        if (client != null) {
            client.close();
        }
        if (k3s != null) {
            k3s.stop();
        }
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    @EnabledIf(value = "dockerAvailable", disabledReason = "needs docker: K3s from testcontainers needs a Docker "
            + "engine and none was found; the same scenario runs against the local cluster in ShopClusterIT")
    @DisplayName("A missing page inside the pod shows as http.4xx in the pod's capture")
    void missingPage(PacketCapture capture) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ExecWatch watch = client.pods().inNamespace("default").withName("shop").inContainer("app")
                .writingOutput(out).writingError(out).exec("wget", "-q", "-O", "-", "http://127.0.0.1:8080/missing")) {
            watch.exitCode().get(30, TimeUnit.SECONDS);
        }

        assertThat(capture.analyzeSoFar().verdicts()).extracting(Finding::rule).contains(Rule.HTTP_CLIENT_ERROR);
    }
}
