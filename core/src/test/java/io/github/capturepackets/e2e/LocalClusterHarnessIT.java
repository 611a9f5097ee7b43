package io.github.capturepackets.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.VersionInfo;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.github.capturepackets.testing.Needs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestClusterExtension.class)
@DisplayName("Harness: the e2e cluster")
class LocalClusterHarnessIT {

  @Test
  @DisplayName("has a node whose Ready condition is True")
  void nodeIsReady(TestCluster cluster) {
    List<Node> nodes = cluster.client().nodes().list().getItems();
    assertThat(nodes).as("nodes of %s", cluster).isNotEmpty();
    cluster.nodeName().ifPresent(name ->
        assertThat(nodes).extracting(n -> n.getMetadata().getName()).contains(name));
    List<Node> candidates = cluster.nodeName()
        .map(name -> nodes.stream().filter(n -> n.getMetadata().getName().equals(name)).toList())
        .orElse(nodes);
    assertThat(candidates).anySatisfy(node -> assertThat(node.getStatus().getConditions())
        .filteredOn(c -> "Ready".equals(c.getType()))
        .extracting(NodeCondition::getStatus)
        .containsExactly("True"));
  }

  @Test
  @DisplayName("shows its node Ready in `kubectl get nodes` (when kubectl is on the PATH)")
  void kubectlShowsNodeReady(TestCluster cluster) throws Exception {
    Path kubeconfig = cluster.kubeconfig().orElse(null);
    Needs.that(kubeconfig != null && onPath("kubectl"), "kubectl",
        "kubectl on the PATH and a kubeconfig file (cluster/local-cluster.sh run puts both in place)");
    Process kubectl = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "nodes",
        "--no-headers").redirectErrorStream(true).start();
    String output = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(kubectl.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(kubectl.exitValue()).as(output).isZero();
    String node = cluster.nodeName().orElse("");
    assertThat(output.lines()).anySatisfy(line -> assertThat(line.split("\\s+"))
        .satisfies(columns -> assertThat(columns[1]).isEqualTo("Ready"))
        .satisfies(columns -> assertThat(node.isEmpty() || columns[0].equals(node)).isTrue()));
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null && Arrays.stream(path.split(File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }

  @Test
  @DisplayName("reports the Kubernetes version it was built as (v1.34.x for the local harness)")
  void serverVersion(TestCluster cluster) {
    VersionInfo version = cluster.client().getKubernetesVersion();
    assertThat(version.getGitVersion()).matches("v1\\.\\d+\\.\\d+.*");
    // Ephemeral containers are GA (and on by default) from 1.25 on.
    assertThat(Integer.parseInt(version.getMinor().replaceAll("\\D", ""))).isGreaterThanOrEqualTo(25);
    cluster.expectedVersion().ifPresent(expected ->
        assertThat(version.getGitVersion()).startsWith(expected + "."));
  }

  @Test
  @DisplayName("runs a pod created by the test until it is Running and Ready, with an IP")
  void podReachesRunning(TestCluster cluster, TestNamespace namespace) {
    Pod pod = E2ePods.createAppPod(cluster, namespace, "running");

    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getPodIP()).isNotBlank();
    assertThat(pod.getStatus().getContainerStatuses()).singleElement()
        .satisfies(s -> assertThat(s.getState().getRunning()).isNotNull());
  }
}
