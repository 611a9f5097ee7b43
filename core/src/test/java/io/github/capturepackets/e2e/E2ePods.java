package io.github.capturepackets.e2e;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Pods, ephemeral containers and commands for the e2e tests, on whichever {@link TestCluster} they run. */
public final class E2ePods {

  /** Port the app container's httpd listens on. */
  public static final int APP_PORT = 8080;
  static final Duration POD_TIMEOUT = Duration.ofSeconds(120);

  private E2ePods() {}

  /**
   * An app pod serving HTTP on {@link #APP_PORT} with busybox httpd. The command is spelled out so any busybox
   * image works, not only the harness's. Bound to the cluster's node when it has no scheduler.
   */
  public static Pod createAppPod(TestCluster cluster, TestNamespace namespace, String name) {
    return createPod(cluster, namespace, name, "mkdir -p /tmp/www && echo 'capture-packets e2e app' > "
        + "/tmp/www/index.html && exec httpd -f -v -p " + APP_PORT + " -h /tmp/www");
  }

  private static Pod createPod(TestCluster cluster, TestNamespace namespace, String name, String command) {
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(name).addToLabels("app", name).endMetadata()
        .withNewSpec()
        .withNodeName(cluster.nodeName().orElse(null))
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(1L)
        .addNewContainer()
        .withName("app")
        .withImage(cluster.appImage())
        .withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", command)
        .addNewPort().withContainerPort(APP_PORT).withProtocol("TCP").endPort()
        .withNewReadinessProbe().withNewTcpSocket().withNewPort(APP_PORT).endTcpSocket()
        .withPeriodSeconds(1).endReadinessProbe()
        .endContainer()
        .endSpec()
        .build();
    cluster.client().pods().inNamespace(namespace.name()).resource(pod).create();
    return awaitReady(cluster.client(), namespace, name);
  }

  /**
   * The named namespace, new and empty: deleted first (waiting until it is gone) if an earlier run left it, then
   * created. For test classes whose {@code @CapturePackets} annotation names the namespace as a constant, so the
   * per-class random namespace of {@link TestClusterExtension} cannot serve.
   */
  public static TestNamespace recreateNamespace(KubernetesClient client, String name) {
    client.namespaces().withName(name).delete();
    client.namespaces().withName(name).waitUntilCondition(n -> n == null, 2, TimeUnit.MINUTES);
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return new TestNamespace(name);
  }

  /**
   * An app pod whose busybox httpd on {@link #APP_PORT} serves files of zeros named {@code f<MB>} ({@code f20} is
   * 20 MiB), written with dd before httpd starts: downloads at full speed for capture-throughput tests.
   */
  public static Pod createFileServerPod(TestCluster cluster, TestNamespace namespace, String name, int... sizesMb) {
    StringBuilder files = new StringBuilder("mkdir -p /tmp/www");
    for (int size : sizesMb) {
      files.append(" && dd if=/dev/zero of=/tmp/www/f").append(size).append(" bs=1048576 count=").append(size)
          .append(" 2>/dev/null");
    }
    return createPod(cluster, namespace, name, files + " && exec httpd -f -p " + APP_PORT + " -h /tmp/www");
  }

  /** Waits until the pod is Running and Ready; fails with the pod's status when it does not get there. */
  public static Pod awaitReady(KubernetesClient client, TestNamespace namespace, String name) {
    try {
      return client.pods().inNamespace(namespace.name()).withName(name).waitUntilCondition(
          pod -> pod != null && "Running".equals(pod.getStatus().getPhase()) && pod.getStatus().getConditions()
              .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())),
          POD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      Pod pod = client.pods().inNamespace(namespace.name()).withName(name).get();
      throw new AssertionError("Pod " + namespace.name() + "/" + name + " did not become Ready within "
          + POD_TIMEOUT + "; status: " + (pod == null ? "pod not found" : pod.getStatus()), e);
    }
  }

  /**
   * An ephemeral container with the tcpdump image targeting {@code app}, root with NET_RAW and NET_ADMIN, as the
   * capture engine adds it. {@code stdin} makes it attachable (the command may then wait for input).
   */
  public static EphemeralContainer tcpdumpContainer(TestCluster cluster, String name, boolean stdin,
      String shellCommand) {
    return new EphemeralContainerBuilder()
        .withName(name)
        .withImage(cluster.tcpdumpImage())
        .withImagePullPolicy("IfNotPresent")
        .withTargetContainerName("app")
        .withCommand("sh", "-c", shellCommand)
        .withStdin(stdin)
        .withStdinOnce(stdin)
        .withTty(false)
        .withNewSecurityContext()
        .withRunAsUser(0L)
        .withRunAsNonRoot(false)
        .withNewCapabilities().addToAdd("NET_RAW", "NET_ADMIN").endCapabilities()
        .endSecurityContext()
        .build();
  }

  /** Adds the container through PATCH pods/{name}/ephemeralcontainers (get + patch of the subresource). */
  public static Pod addEphemeralContainer(KubernetesClient client, TestNamespace namespace, String pod,
      EphemeralContainer container) {
    return client.pods().inNamespace(namespace.name()).withName(pod).ephemeralContainers()
        .edit(p -> new PodBuilder(p).editSpec().addToEphemeralContainers(container).endSpec().build());
  }

  /** Waits until the ephemeral container's status says running; fails with its status otherwise. */
  public static ContainerStatus awaitEphemeralRunning(KubernetesClient client, TestNamespace namespace, String pod,
      String container) {
    try {
      Pod ready = client.pods().inNamespace(namespace.name()).withName(pod).waitUntilCondition(
          p -> ephemeralStatus(p, container).map(s -> s.getState().getRunning() != null).orElse(false),
          POD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return ephemeralStatus(ready, container).orElseThrow();
    } catch (RuntimeException e) {
      Pod current = client.pods().inNamespace(namespace.name()).withName(pod).get();
      throw new AssertionError("Ephemeral container " + container + " in " + namespace.name() + "/" + pod
          + " did not start within " + POD_TIMEOUT + "; status: "
          + (current == null ? "pod not found" : ephemeralStatus(current, container)), e);
    }
  }

  static Optional<ContainerStatus> ephemeralStatus(Pod pod, String container) {
    if (pod == null || pod.getStatus() == null || pod.getStatus().getEphemeralContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getEphemeralContainerStatuses().stream()
        .filter(s -> container.equals(s.getName()) && s.getState() != null).findFirst();
  }

  /**
   * Sends {@code GET path} to the app pod: from this JVM straight to the pod IP when the cluster's pod network is
   * reachable from the host (the local harness), otherwise with wget inside the app container (loopback of the
   * pod's network namespace, which {@code tcpdump -i any} also sees). Returns the status and body as text.
   */
  public static String sendHttpRequest(TestCluster cluster, TestNamespace namespace, String pod, String path)
      throws IOException, InterruptedException {
    Pod current = cluster.client().pods().inNamespace(namespace.name()).withName(pod).get();
    String podIp = Objects.requireNonNull(current.getStatus().getPodIP(), "pod has no IP yet");
    if (cluster.hostReachesPods()) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
          .version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + podIp + ":" + APP_PORT + path))
          .timeout(Duration.ofSeconds(10)).GET().build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    }
    ExecResult result = exec(cluster.client(), namespace, pod, "app", Duration.ofSeconds(20),
        "wget", "-q", "-O", "-", "http://" + podIp + ":" + APP_PORT + path);
    // busybox wget exits 1 on an error status and names it on stderr ("server returned error: HTTP/1.1 404").
    return "exit " + result.exitCode() + ": " + result.stdoutText() + result.stderr();
  }

  /** Output of a finished exec. */
  public record ExecResult(int exitCode, byte[] stdout, String stderr) {
    public String stdoutText() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  /** Runs a command in a container through the API server's exec stream and waits for it to finish. */
  public static ExecResult exec(KubernetesClient client, TestNamespace namespace, String pod, String container,
      Duration timeout, String... command) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    try (ExecWatch watch = client.pods().inNamespace(namespace.name()).withName(pod).inContainer(container)
        .writingOutput(stdout).writingError(stderr).exec(command)) {
      int code = watch.exitCode().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new ExecResult(code, stdout.toByteArray(), stderr.toString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while running " + List.of(command), e);
    } catch (Exception e) {
      throw new AssertionError("exec " + List.of(command) + " in " + namespace.name() + "/" + pod + "/"
          + container + " failed; stderr so far: " + stderr.toString(StandardCharsets.UTF_8), e);
    }
  }
}
