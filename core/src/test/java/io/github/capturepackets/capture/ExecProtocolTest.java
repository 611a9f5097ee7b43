package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import io.github.capturepackets.testing.TcpBurst;
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
 * The command the cluster modes run through {@code pods/exec} ({@code sh -c 'tcpdump ... & echo pid; watchdog; wait'}),
 * run here with the real tcpdump under a plain POSIX sh and under busybox (whose sh, sleep and kill the capture
 * images have), with the same recorder and the same signals (SIGTERM and SIGUSR1 to the printed PID).
 */
@DisplayName("The in-container capture command under sh and busybox")
class ExecProtocolTest {
    private static final Path BUSYBOX = Path.of("/usr/bin/busybox");
    /** What the in-container command uses besides sh and tcpdump. */
    private static final List<String> BUSYBOX_APPLETS = List.of("kill", "sleep", "dd", "stat", "mkdir", "rm");

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
    private record ShellProcess(Process process, TcpdumpStderr parser, long bytesPerSecond)
            implements CaptureProcess {
        @Override
        public InputStream pcap() {
            return bytesPerSecond <= 0 ? process.getInputStream()
                    : new Throttled(process.getInputStream(), bytesPerSecond);
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
        public void requestStatistics() throws Exception {
            String pid = parser.awaitPid(5_000);
            Process kill = new ProcessBuilder("sh", "-c", "kill -USR1 " + pid).start();
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

    /** An exec stream slower than the capture: at most {@code rate} bytes a second reach the recorder. */
    private static final class Throttled extends java.io.FilterInputStream {
        private final long rate;
        private final long begin = System.nanoTime();
        private long read;

        Throttled(InputStream in, long rate) {
            super(in);
            this.rate = rate;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long due = begin + read * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }
            int n = super.read(b, off, Math.min(len, 65536));
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }

    private PodCapture capture(List<String> shell, String filter, Duration limit, int port, int packets,
            long waitMillis) throws Exception {
        PodRecorder recorder = start(shell, filter, limit);
        LocalTraffic.sendUdp(port, "exec-protocol", packets);
        Thread.sleep(waitMillis);
        return recorder.stop();
    }

    /** Starts the in-container command under {@code shell} with its recorder, and waits until tcpdump listens. */
    private PodRecorder start(List<String> shell, String filter, Duration limit) throws Exception {
        return start(shell, filter, limit, CaptureRequest.DEFAULT_BUFFER_SIZE, output.toString(), 0);
    }

    /**
     * @param spoolBase where the spool goes ({@code /proc} refuses it: tcpdump then streams directly)
     * @param rate      bytes a second the "exec stream" delivers (0: as fast as read)
     */
    private PodRecorder start(List<String> shell, String filter, Duration limit, int bufferKib, String spoolBase,
            long rate) throws Exception {
        String line = TcpdumpCommand.shellCommand(limit, TcpdumpCommand.tcpdump("tcpdump", "lo", 0, bufferKib,
                filter), TcpdumpCommand.DEFAULT_SPOOL_FILES, spoolBase);
        PodRecorder recorder = new PodRecorder("ns", "pod", "app", CaptureMode.EPHEMERAL, "uid",
                output.resolve("pod-" + System.nanoTime()), new CaptureLimits(Duration.ofMinutes(1), 0, 0, 0),
                bufferKib, executor);
        List<String> argv = new java.util.ArrayList<>(shell);
        argv.add(line);
        ProcessBuilder builder = new ProcessBuilder(argv);
        Path bin = output.resolve("bin");
        if (shell.get(0).equals(BUSYBOX.toString())) {
            // The capture images are busybox: its applets come first on the PATH.
            Files.createDirectories(bin);
            for (String applet : BUSYBOX_APPLETS) {
                Path link = bin.resolve(applet);
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, BUSYBOX);
                }
            }
            builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        }
        Process process = builder.start();
        recorder.attach(new ShellProcess(process, recorder.stderr(), rate));
        assertThat(recorder.stderr().awaitListening(10_000)).as(recorder.stderr().text()).isTrue();
        assertThat(recorder.stderr().awaitPid(1_000)).matches("\\d+");
        return recorder;
    }

    private static List<String> shellArgv(String shell) {
        Needs.that(Files.isExecutable(Path.of(shell)), shell.endsWith("busybox") ? "busybox" : "sh",
                shell + " is needed (apt-get install -y busybox); .ci/run installs it");
        return shell.endsWith("busybox") ? List.of(shell, "sh", "-c") : List.of(shell, "-c");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/bin/sh", "/usr/bin/busybox"})
    @DisplayName("the PID line, a filter with shell metacharacters, the stop by SIGTERM and the closing counters work")
    void stopBySigterm(String shell) throws Exception {
        List<String> sh = shellArgv(shell);
        int port = LocalTraffic.freeUdpPort();
        PodCapture capture = capture(sh, "udp port " + port + " and !(host 10.255.255.1 or ip6) and len > 1",
                Duration.ofMinutes(1), port, 5, 300);
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        assertThat(capture.counters()).isNotNull();
        assertThat(capture.counters().captured()).isEqualTo(5);
        assertThat(LocalTraffic.tsharkCount(capture.files().get(0), "udp.port == " + port)).isEqualTo(5);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/bin/sh", "/usr/bin/busybox"})
    @DisplayName("each slice gets tcpdump's counters of its own window (SIGUSR1 mid-capture), and tcpdump keeps running")
    void countersPerWindow(String shell) throws Exception {
        List<String> sh = shellArgv(shell);
        int port = LocalTraffic.freeUdpPort();
        PodRecorder recorder = start(sh, "udp port " + port, Duration.ofMinutes(1));
        PodRecorder.Window first = recorder.openSlice(output.resolve("first.pcap"), java.time.Instant.now());
        LocalTraffic.sendUdp(port, "first-window", 3);
        PodCapture firstResult = recorder.closeSlice(first, java.time.Instant.now(), 150, 1_500);
        PodRecorder.Window second = recorder.openSlice(output.resolve("second.pcap"), java.time.Instant.now());
        LocalTraffic.sendUdp(port, "second-window", 5);
        PodCapture secondResult = recorder.closeSlice(second, java.time.Instant.now(), 150, 1_500);
        PodCapture whole = recorder.stop();

        assertThat(firstResult.complete()).as(firstResult.incompleteReason()).isTrue();
        assertThat(firstResult.counters()).as("counters of the first window").isNotNull();
        assertThat(firstResult.counters().captured()).isEqualTo(3);
        assertThat(firstResult.counters().droppedByKernel()).isZero();
        assertThat(secondResult.complete()).as(secondResult.incompleteReason()).isTrue();
        assertThat(secondResult.counters().captured()).isEqualTo(5);
        assertThat(LocalTraffic.tsharkCount(secondResult.files().get(0), "udp.port == " + port)).isEqualTo(5);
        assertThat(whole.counters()).as("closing counters after the readings").isNotNull();
        assertThat(whole.counters().captured()).isEqualTo(8);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/bin/sh", "/usr/bin/busybox"})
    @DisplayName("a 24 MB burst read at 4 MB/s is spooled in the container: zero kernel drops, every payload byte, "
            + "in the slice and in the whole capture")
    void spoolAbsorbsASlowStream(String shell) throws Exception {
        List<String> sh = shellArgv(shell);
        try (TcpBurst burst = new TcpBurst()) {
            PodRecorder recorder = start(sh, "tcp port " + burst.port(), Duration.ofMinutes(2),
                    CaptureRequest.DEFAULT_BUFFER_SIZE, output.toString(), 4_000_000);
            assertThat(recorder.stderr().spool()).as("the spool is used when /tmp is writable").isNotNull();
            PodRecorder.Window window = recorder.openSlice(output.resolve("burst.pcap"), java.time.Instant.now());
            long sent = burst.send(24 << 20);
            PodCapture slice = recorder.closeSlice(window, java.time.Instant.now(), 150, 120_000);
            PodCapture whole = recorder.stop();

            assertThat(slice.complete()).as(slice.incompleteReason()).isTrue();
            assertThat(slice.counters().droppedByKernel()).isZero();
            assertThat(TcpBurst.payloadTo(slice.files().get(0), burst.port())).as("payload bytes in the slice")
                    .isEqualTo(sent);
            assertThat(whole.complete()).as(whole.incompleteReason()).isTrue();
            assertThat(whole.counters().droppedByKernel()).isZero();
            assertThat(TcpBurst.payloadTo(whole.files().get(0), burst.port())).as("payload bytes in the capture")
                    .isEqualTo(sent);
            assertThat(Path.of(recorder.stderr().spool())).as("spool removed")
                    .doesNotExist();
        }
    }

    @Test
    @DisplayName("without a spool, a tiny ring behind a slow stream drops, and the slice and the capture say so")
    void dropsAreReported() throws Exception {
        try (TcpBurst burst = new TcpBurst()) {
            PodRecorder recorder = start(List.of("/bin/sh", "-c"), "tcp port " + burst.port(), Duration.ofMinutes(2),
                    CaptureRequest.MIN_BUFFER_SIZE, "/proc", 2_000_000);
            assertThat(recorder.stderr().spool()).as("/proc refuses the spool: direct stream").isNull();
            PodRecorder.Window window = recorder.openSlice(output.resolve("burst.pcap"), java.time.Instant.now());
            long sent = burst.send(24 << 20);
            PodCapture slice = recorder.closeSlice(window, java.time.Instant.now(), 150, 120_000);
            PodCapture whole = recorder.stop();

            assertThat(slice.counters()).isNotNull();
            assertThat(slice.counters().droppedByKernel()).as("kernel drops in the slice's window").isPositive();
            assertThat(slice.complete()).isFalse();
            assertThat(slice.incompleteReason()).contains("the kernel dropped " + slice.counters().droppedByKernel()
                    + " of ").contains("in this window").contains("ns/pod").contains("Raise bufferSize")
                    .contains("now " + CaptureRequest.MIN_BUFFER_SIZE + " KiB");
            assertThat(TcpBurst.payloadTo(slice.files().get(0), burst.port())).isLessThan(sent);
            assertThat(whole.complete()).isFalse();
            assertThat(whole.counters().droppedByKernel()).isGreaterThanOrEqualTo(slice.counters().droppedByKernel());
        }
    }

    @Test
    @DisplayName("busybox: the watchdog ends tcpdump at the limit on its own, and the counters still arrive")
    void busyboxTimeLimit() throws Exception {
        Needs.that(Files.isExecutable(BUSYBOX), "busybox", BUSYBOX + " is needed (apt-get install -y busybox); .ci/run"
                + " installs it");
        int port = LocalTraffic.freeUdpPort();
        long begin = System.nanoTime();
        String line = TcpdumpCommand.shellCommand(Duration.ofSeconds(2),
                TcpdumpCommand.tcpdump("tcpdump", "lo", 0, CaptureRequest.DEFAULT_BUFFER_SIZE, "udp port " + port),
                TcpdumpCommand.DEFAULT_SPOOL_FILES, output.toString());
        Path bin = output.resolve("bin");
        Files.createDirectories(bin);
        for (String applet : BUSYBOX_APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), BUSYBOX);
        }
        ProcessBuilder builder = new ProcessBuilder(BUSYBOX.toString(), "sh", "-c", line);
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
