package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command the cluster modes run through {@code pods/exec} ({@code sh -c 'echo pid; exec timeout ... tcpdump'}),
 * run here with the real tcpdump under a plain POSIX sh and under busybox (whose sh, timeout and kill the capture
 * images have), with the same recorder and the same stop protocol (SIGTERM to the printed PID).
 */
@DisplayName("The in-container capture command under sh and busybox")
class ExecProtocolTest {
    private static final Path BUSYBOX = Path.of("/usr/bin/busybox");

    @TempDir
    Path output;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "exec-protocol-test");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    static void tcpdumpAndRoot() {
        LocalTraffic.assumeCaptureWorks();
        LocalTraffic.assumeTshark();
    }

    @AfterEach
    void shutdown() {
        executor.shutdownNow();
    }

    /** Runs the command like the exec does; SIGTERM goes by the PID tcpdump's shell printed, as kill -TERM would. */
    private record ShellProcess(Process process, TcpdumpStderr parser) implements CaptureProcess {
        @Override
        public InputStream pcap() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }

        @Override
        public void terminate() throws Exception {
            String pid = parser.awaitPid(5_000);
            Process kill = new ProcessBuilder("sh", "-c", "kill -TERM " + pid).start();
            kill.waitFor(5, TimeUnit.SECONDS);
        }

        @Override
        public void kill() {
            process.toHandle().destroyForcibly();
        }

        @Override
        public boolean awaitExit(long millis) throws InterruptedException {
            return process.waitFor(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public String exitDescription() {
            return process.isAlive() ? "" : "exit code " + process.exitValue();
        }
    }

    private PodCapture capture(List<String> shell, String filter, Duration limit, int port, int packets,
            long waitMillis) throws Exception {
        List<String> command = TcpdumpCommand.withTimeLimit(limit, TcpdumpCommand.tcpdump("tcpdump", "lo", 0, filter));
        String line = ExecProcess.shellCommand(command);
        PodRecorder recorder = new PodRecorder("ns", "pod", "app", CaptureMode.EPHEMERAL, "uid",
                output.resolve("pod-" + System.nanoTime()), new CaptureLimits(Duration.ofMinutes(1), 0, 0, 0),
                executor);
        List<String> argv = new java.util.ArrayList<>(shell);
        argv.add(line);
        ProcessBuilder builder = new ProcessBuilder(argv);
        Path bin = output.resolve("bin");
        if (shell.get(0).equals(BUSYBOX.toString())) {
            // The capture images are busybox: its timeout, kill and sleep come first on the PATH.
            Files.createDirectories(bin);
            for (String applet : List.of("timeout", "kill", "sleep")) {
                Path link = bin.resolve(applet);
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, BUSYBOX);
                }
            }
            builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        }
        Process process = builder.start();
        recorder.attach(new ShellProcess(process, recorder.stderr()));
        assertThat(recorder.stderr().awaitListening(10_000)).as(recorder.stderr().text()).isTrue();
        assertThat(recorder.stderr().awaitPid(1_000)).matches("\\d+");
        LocalTraffic.sendUdp(port, "exec-protocol", packets);
        Thread.sleep(waitMillis);
        return recorder.stop();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/bin/sh", "/usr/bin/busybox"})
    @DisplayName("the PID line, a filter with shell metacharacters, the stop by SIGTERM and the closing counters work")
    void stopBySigterm(String shell) throws Exception {
        Needs.that(Files.isExecutable(Path.of(shell)), shell.endsWith("busybox") ? "busybox" : "sh",
                shell + " is needed (apt-get install -y busybox); .ci/run installs it");
        List<String> sh = shell.endsWith("busybox") ? List.of(shell, "sh", "-c") : List.of(shell, "-c");
        int port = LocalTraffic.freeUdpPort();
        PodCapture capture = capture(sh, "udp port " + port + " and !(host 10.255.255.1 or ip6) and len > 1",
                Duration.ofMinutes(1), port, 5, 300);
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        assertThat(capture.counters()).isNotNull();
        assertThat(capture.counters().captured()).isEqualTo(5);
        assertThat(LocalTraffic.tsharkCount(capture.files().get(0), "udp.port == " + port)).isEqualTo(5);
    }

    @Test
    @DisplayName("busybox's timeout ends tcpdump at the limit on its own, and the counters still arrive")
    void busyboxTimeLimit() throws Exception {
        Needs.that(Files.isExecutable(BUSYBOX), "busybox", BUSYBOX + " is needed (apt-get install -y busybox); .ci/run"
                + " installs it");
        int port = LocalTraffic.freeUdpPort();
        long begin = System.nanoTime();
        List<String> command = TcpdumpCommand.withTimeLimit(Duration.ofSeconds(2),
                TcpdumpCommand.tcpdump("tcpdump", "lo", 0, "udp port " + port));
        Path bin = output.resolve("bin");
        Files.createDirectories(bin);
        Files.createSymbolicLink(bin.resolve("timeout"), BUSYBOX);
        ProcessBuilder builder = new ProcessBuilder(BUSYBOX.toString(), "sh", "-c",
                ExecProcess.shellCommand(command));
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process process = builder.start();
        TcpdumpStderr stderr = new TcpdumpStderr();
        Thread reader = new Thread(() -> stderr.consume(process.getErrorStream()));
        reader.start();
        byte[] pcap = readAll(process.getInputStream());
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        reader.join(5_000);
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isBetween(Duration.ofSeconds(2),
                Duration.ofSeconds(6));
        assertThat(stderr.counters()).as(stderr.text()).isNotNull();
        assertThat(pcap.length).isGreaterThanOrEqualTo(PcapStreamSink.GLOBAL_HEADER_LENGTH);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
