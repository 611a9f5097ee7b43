package io.github.capturepackets.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestClusterExtension.class)
@DisplayName("Harness: an ephemeral tcpdump container started by the test helpers")
class EphemeralContainerHarnessIT {

  private static final String POD = "web";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeAll
  static void startApp(TestCluster cluster, TestNamespace namespace) {
    E2ePods.createAppPod(cluster, namespace, POD);
  }

  @Test
  @DisplayName("reaches Running and captures, over exec, the HTTP request sent to the pod, byte for byte")
  void capturesOverExec(TestCluster cluster, TestNamespace namespace) throws Exception {
    Pod patched = E2ePods.addEphemeralContainer(cluster.client(), namespace, POD,
        E2ePods.tcpdumpContainer(cluster, "debugger-exec", false, "exec sleep 3600"));
    assertThat(patched.getSpec().getEphemeralContainers()).extracting(c -> c.getName()).contains("debugger-exec");
    ContainerStatus status = E2ePods.awaitEphemeralRunning(cluster.client(), namespace, POD, "debugger-exec");
    assertThat(status.getState().getRunning().getStartedAt()).isNotBlank();

    String path = "/capture-packets-exec-" + UUID.randomUUID();
    byte[] streamed;
    try (StreamedCapture capture = StreamedCapture.exec(cluster.client(), namespace, POD, "debugger-exec", "exec")) {
      capture.awaitReceived(E2ePcap::hasPcapHeader, WAIT, "the pcap header");
      String response = E2ePods.sendHttpRequest(cluster, namespace, POD, path);
      assertThat(response).as("busybox httpd answers an unknown path with 404").contains("404");
      capture.awaitReceived(bytes -> E2ePcap.containsAscii(bytes, "GET " + path + " HTTP/1.1"), WAIT,
          "the request line");
      capture.stop();
      streamed = capture.awaitComplete(WAIT);
      assertThat(capture.fileCopy()).as("pcap read back from the container's file copy").isEqualTo(streamed);
      assertThat(capture.fileSha256()).isEqualTo(E2ePcap.sha256(streamed));
    }
    assertThat(E2ePcap.linkType(streamed)).isEqualTo(E2ePcap.LINKTYPE_LINUX_SLL2);
    assertThat(E2ePcap.containsAscii(streamed, "GET " + path + " HTTP/1.1")).isTrue();
    assertThat(E2ePcap.containsAscii(streamed, " 404 ")).as("the response status is captured too").isTrue();
  }

  @Test
  @DisplayName("streams its pcap over attach exactly as tcpdump wrote it")
  void streamsOverAttach(TestCluster cluster, TestNamespace namespace) throws Exception {
    E2ePods.addEphemeralContainer(cluster.client(), namespace, POD,
        E2ePods.tcpdumpContainer(cluster, "debugger-attach", true, StreamedCapture.attachableCommand("attach")));
    E2ePods.awaitEphemeralRunning(cluster.client(), namespace, POD, "debugger-attach");

    String path = "/capture-packets-attach-" + UUID.randomUUID();
    try (StreamedCapture capture = StreamedCapture.attach(cluster.client(), namespace, POD, "debugger-attach",
        "attach")) {
      byte[] header = capture.awaitReceived(E2ePcap::hasPcapHeader, WAIT, "the pcap header");
      assertThat(E2ePcap.linkType(header)).isEqualTo(E2ePcap.LINKTYPE_LINUX_SLL2);
      E2ePods.sendHttpRequest(cluster, namespace, POD, path);
      capture.awaitReceived(bytes -> E2ePcap.containsAscii(bytes, "GET " + path + " HTTP/1.1"), WAIT,
          "the request line");
      capture.stop();
      byte[] streamed = capture.awaitComplete(WAIT);
      byte[] file = capture.fileCopy();
      assertThat(streamed).as("attach stream vs the file tcpdump's output was teed to").isEqualTo(file);
      assertThat(E2ePcap.sha256(streamed)).isEqualTo(capture.fileSha256());
      assertThat(capture.tcpdumpStderr()).contains("packets captured");
    }
  }
}
