package io.github.capturepackets.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * A tcpdump whose pcap (stdout) arrives over an exec or attach stream through the API server, while {@code tee}
 * keeps a copy in a file inside the container so the test can compare both byte for byte.
 *
 * <p>The shell command writes tcpdump's PID to {@code /tmp/NAME.pid} (busybox has no pkill) so {@link #stop()}
 * can end it with SIGTERM (a non-interactive sh ignores SIGINT for background jobs); {@code timeout} bounds it
 * in any case. {@code --immediate-mode -U} make every packet reach the stream at once.
 */
public final class StreamedCapture implements AutoCloseable {

  private static final Duration MAX_CAPTURE = Duration.ofSeconds(90);

  private final KubernetesClient client;
  private final TestNamespace namespace;
  private final String pod;
  private final String container;
  private final String name;
  private final ExecWatch watch;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final Thread reader;
  private volatile boolean ended;
  private volatile IOException readFailure;

  private StreamedCapture(KubernetesClient client, TestNamespace namespace, String pod, String container,
      String name, ExecWatch watch) {
    this.client = client;
    this.namespace = namespace;
    this.pod = pod;
    this.container = container;
    this.name = name;
    this.watch = watch;
    this.reader = new Thread(this::readAll, "pcap-stream-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** The shell command that captures into stdout and {@code /tmp/NAME.pcap}; NAME is a plain word. */
  public static String captureCommand(String name) {
    return "{ timeout -s TERM " + MAX_CAPTURE.toSeconds() + " tcpdump -i any --immediate-mode -U -Z root -w - "
        + "2>/tmp/" + name + ".err & echo $! > /tmp/" + name + ".pid; wait; } | tee /tmp/" + name + ".pcap; "
        + "touch /tmp/" + name + ".done";
  }

  /** Starts {@link #captureCommand} with exec in an already running container. */
  public static StreamedCapture exec(KubernetesClient client, TestNamespace namespace, String pod, String container,
      String name) {
    ExecWatch watch = client.pods().inNamespace(namespace.name()).withName(pod).inContainer(container)
        .redirectingOutput().exec("sh", "-c", captureCommand(name));
    return new StreamedCapture(client, namespace, pod, container, name, watch);
  }

  /**
   * Attaches to a container whose command is {@code read _; CAPTURE; exec sleep ...} and sends the line that
   * starts the capture, so no byte of the pcap (its header first) is written before the stream is attached.
   */
  public static StreamedCapture attach(KubernetesClient client, TestNamespace namespace, String pod,
      String container, String name) throws IOException {
    ExecWatch watch = client.pods().inNamespace(namespace.name()).withName(pod).inContainer(container)
        .redirectingInput().redirectingOutput().attach();
    StreamedCapture capture = new StreamedCapture(client, namespace, pod, container, name, watch);
    OutputStream stdin = watch.getInput();
    stdin.write("go\n".getBytes(StandardCharsets.US_ASCII));
    stdin.flush();
    return capture;
  }

  /** Command for an attachable ephemeral container: waits for a line on stdin, captures, then idles. */
  public static String attachableCommand(String name) {
    return "read _; " + captureCommand(name) + "; exec sleep 3600 >/dev/null 2>&1";
  }

  private void readAll() {
    byte[] buffer = new byte[8192];
    try (InputStream in = watch.getOutput()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        synchronized (received) {
          received.write(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      readFailure = e;
    } finally {
      ended = true;
    }
  }

  /** A copy of what arrived so far. */
  public byte[] received() {
    synchronized (received) {
      return received.toByteArray();
    }
  }

  /** Waits until the bytes received so far satisfy {@code condition}. */
  public byte[] awaitReceived(Predicate<byte[]> condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      byte[] bytes = received();
      if (condition.test(bytes)) {
        return bytes;
      }
      if (ended || System.nanoTime() > deadline) {
        throw new AssertionError("Waiting for " + what + " on the " + name + " stream: "
            + (ended ? "stream ended" : "timed out after " + timeout) + " with " + bytes.length + " bytes received"
            + (readFailure == null ? "" : ", read failed: " + readFailure) + "; tcpdump stderr: " + tcpdumpStderr());
      }
      Thread.sleep(50);
    }
  }

  /** Stops tcpdump with SIGTERM through a second exec; tcpdump then flushes and exits. */
  public void stop() {
    E2ePods.ExecResult result = E2ePods.exec(client, namespace, pod, container, Duration.ofSeconds(30),
        "sh", "-c", "kill -TERM \"$(cat /tmp/" + name + ".pid)\"");
    if (result.exitCode() != 0) {
      throw new AssertionError("Stopping tcpdump in " + container + " failed: " + result.stderr());
    }
  }

  /**
   * Waits until tee has finished and every byte of its file copy has arrived over the stream (the stream of an
   * exec ends then; an attach stream stays open while the container idles), and returns the received bytes.
   */
  public byte[] awaitComplete(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long fileSize = -1;
    while (System.nanoTime() < deadline) {
      if (fileSize < 0) {
        E2ePods.ExecResult done = E2ePods.exec(client, namespace, pod, container, Duration.ofSeconds(30),
            "sh", "-c", "test -f /tmp/" + name + ".done && wc -c < /tmp/" + name + ".pcap");
        if (done.exitCode() == 0) {
          fileSize = Long.parseLong(done.stdoutText().strip());
        }
      }
      if (fileSize >= 0 && received().length >= fileSize) {
        return received();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("The " + name + " capture did not complete within " + timeout + ": file copy size "
        + fileSize + ", received " + received().length + " bytes; tcpdump stderr: " + tcpdumpStderr());
  }

  /** The file copy tee wrote in the container, read back through exec. */
  public byte[] fileCopy() {
    E2ePods.ExecResult result = E2ePods.exec(client, namespace, pod, container, Duration.ofSeconds(60),
        "cat", "/tmp/" + name + ".pcap");
    if (result.exitCode() != 0) {
      throw new AssertionError("cat /tmp/" + name + ".pcap failed: " + result.stderr());
    }
    return result.stdout();
  }

  /** sha256sum of the file copy, computed inside the container. */
  public String fileSha256() {
    E2ePods.ExecResult result = E2ePods.exec(client, namespace, pod, container, Duration.ofSeconds(60),
        "sha256sum", "/tmp/" + name + ".pcap");
    return result.stdoutText().strip().split("\\s+")[0];
  }

  /** What tcpdump wrote on stderr ("listening on any ...", "N packets captured"), for messages. */
  public String tcpdumpStderr() {
    try {
      return E2ePods.exec(client, namespace, pod, container, Duration.ofSeconds(20),
          "cat", "/tmp/" + name + ".err").stdoutText().strip();
    } catch (AssertionError e) {
      return "(unavailable: " + e.getMessage() + ")";
    }
  }

  /** True once the stream has ended (EOF). */
  public boolean ended() {
    return ended;
  }

  @Override
  public void close() throws InterruptedException {
    watch.close();
    reader.join(Duration.ofSeconds(10).toMillis());
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return name + " (" + received().length + " bytes received)";
  }
}
