package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestClusterExtension;
import io.github.capturepackets.e2e.TestNamespace;
import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.Packet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture throughput on the real cluster (bench/capture-throughput.sh runs it; issue 16, acceptance 2). Pod b serves
 * files of 20, 100 and 400 MB with busybox httpd, pod a downloads each with {@code wget -O /dev/null} through exec,
 * three times without capture, then three times while the engine captures b (ephemeral mode, filter
 * {@code tcp port 8080}, default ring and snap length, one session per size, one slice per download).
 *
 * <p>Per size: the download's wall time in the pod without and with capture, the payload the slice holds against
 * the bytes the server sent (file plus HTTP header), the kernel drops tcpdump counted in the slice's window, the
 * rate through the API server (slice bytes over download start to slice end), the spool backlog when the
 * download ended, and CPU seconds per captured GB of the cluster's daemons and this JVM, all in the same run.
 * Prints the table and writes it to target/capture-throughput.txt with a last line that starts with PASS or FAIL
 * against the goal (zero drops and every payload byte, at default settings, for every size). Asserts only that the
 * downloads and captures ran, never a figure: the script turns the verdict into its exit status.
 */
@ExtendWith(TestClusterExtension.class)
@DisplayName("Capture throughput: 20, 100 and 400 MB pod to pod, without and with capture")
class CaptureThroughputBenchIT {
    static final int[] SIZES_MB = Arrays.stream(System.getProperty("capturepackets.bench.sizes", "20,100,400")
            .split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
    static final int REPETITIONS = Integer.getInteger("capturepackets.bench.repetitions", 3);
    /** A directory to move the sessions' files to instead of deleting them (to look into a run). */
    static final String KEEP = System.getProperty("capturepackets.bench.keep", "");
    /** tcpdump's ring in KiB; the default unless -Dcapturepackets.bench.bufferSize=N asks for another. */
    static final int BUFFER_KIB = Integer.getInteger("capturepackets.bench.bufferSize",
            CaptureRequest.DEFAULT_BUFFER_SIZE);
    static final int PORT = E2ePods.APP_PORT;
    static final long MB = 1L << 20;
    static final double GB = 1e9;
    static final int IDLE_SECONDS = 10;
    /** The CPU groups of {@link CaptureStartupBenchIT#CPU_GROUPS} reported per captured GB, in table order. */
    static final List<String> CPU_REPORTED = List.of("kube-apiserver", "kubelet", "containerd, shims, runc",
            "this JVM", "pod processes (tcpdump, idle loops)", "etcd", "whole machine (/proc/stat)");
    static final List<String> CPU_HEADINGS = List.of("apiserver", "kubelet", "containerd", "test JVM",
            "pods", "etcd", "machine");

    /** One download: wall time in the pod, and what the capture of it holds (null fields without capture). */
    record Download(int sizeMb, boolean captured, double podSeconds, double sliceSeconds, Map<String, Double> cpu,
            PodCapture capture, Payload payload, long backlogBytes) {
    }

    @Test
    @DisplayName("measures wire rate, captured payload, drops, API server rate and CPU per GB, without and with capture")
    void throughput(TestCluster cluster, TestNamespace namespace, @TempDir Path output) throws Exception {
        String load = loadAverage();
        String serverIp = createServer(cluster, namespace);
        String clientIp = E2ePods.createAppPod(cluster, namespace, "a").getStatus().getPodIP();
        Map<Integer, Integer> headers = new LinkedHashMap<>();
        for (int size : SIZES_MB) {
            headers.put(size, headerLength(cluster, namespace, size));
        }
        // What the daemons and this JVM use with nothing to do, so that a slow drain is not charged their idling.
        Map<Long, long[]> idleBefore = CaptureStartupBenchIT.cpuTicks();
        Thread.sleep(IDLE_SECONDS * 1000L);
        Map<String, Double> idle = CaptureStartupBenchIT.cpuSeconds(idleBefore, CaptureStartupBenchIT.cpuTicks());

        // Warm-up: class loading, JIT, the client's connections and the first ephemeral container's image.
        download(cluster, namespace, serverIp, SIZES_MB[0]);
        try (CaptureSession warm = CaptureEngine.start(request(cluster, namespace, output, "warm-up"),
                access(cluster))) {
            warm.slice("warm-up").end();
        }

        List<Download> downloads = new ArrayList<>();
        String spotCheck = "tshark spot check: not run";
        List<String> sessions = new ArrayList<>();
        for (int size : SIZES_MB) {
            for (int rep = 0; rep < REPETITIONS; rep++) {
                Map<Long, long[]> before = CaptureStartupBenchIT.cpuTicks();
                double seconds = download(cluster, namespace, serverIp, size);
                downloads.add(new Download(size, false, seconds, Double.NaN,
                        CaptureStartupBenchIT.cpuSeconds(before, CaptureStartupBenchIT.cpuTicks()), null, null, 0));
            }
            try (CaptureSession session = CaptureEngine.start(request(cluster, namespace, output, "f" + size),
                    access(cluster))) {
                Path sessionDirectory = ((RecordingSession) session).directory;
                for (int rep = 0; rep < REPETITIONS; rep++) {
                    String name = "f" + size + "-" + (rep + 1);
                    Map<Long, long[]> before = CaptureStartupBenchIT.cpuTicks();
                    long begin = System.nanoTime();
                    CaptureSession.Slice slice = session.slice(name);
                    double seconds = download(cluster, namespace, serverIp, size);
                    long arrived = pcapBytes(sessionDirectory.resolve(name));
                    CaptureResult result = slice.end();
                    double sliceSeconds = (System.nanoTime() - begin) / 1e9;
                    Map<String, Double> cpu = CaptureStartupBenchIT.cpuSeconds(before,
                            CaptureStartupBenchIT.cpuTicks());
                    assertThat(result.captures()).as(name).hasSize(1);
                    PodCapture capture = result.captures().get(0);
                    Payload payload = Payload.of(capture.files(), clientIp, size * MB + headers.get(size));
                    downloads.add(new Download(size, true, seconds, sliceSeconds, cpu, capture, payload,
                            Math.max(0, capture.bytes() - arrived)));
                    if (rep == 0 && size == SIZES_MB[0] && !capture.files().isEmpty()) {
                        spotCheck = tsharkSpotCheck(name, capture.files().get(0), clientIp, payload);
                    }
                    for (Path file : KEEP.isEmpty() ? capture.files() : List.<Path>of()) {
                        Files.deleteIfExists(file);
                    }
                }
                // The session's own view: what arrived in total, and whether it says it is complete.
                for (PodCapture whole : session.stop().captures()) {
                    TcpdumpCounters c = whole.counters();
                    sessions.add(String.format("session f%d: %,d packets, %,d bytes arrived; tcpdump captured %s, "
                            + "dropped %s; complete %s%s", size, whole.packets(), whole.bytes(),
                            c == null ? "n/a" : c.captured(), c == null ? "n/a" : c.droppedByKernel(),
                            whole.complete(), whole.incompleteReason() == null ? "" : ": " + whole.incompleteReason()));
                }
            } finally {
                keepOrDelete(output);
            }
        }
        String report = report(cluster, load, loadAverage(), headers, idle, downloads, sessions, spotCheck);
        System.out.print(report);
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("capture-throughput.txt"), report, StandardCharsets.UTF_8);
    }

    private static CaptureRequest request(TestCluster cluster, TestNamespace namespace, Path output, String name) {
        // Default settings but for what a bench must pin: the image the cluster has, the filter and the output.
        return CaptureRequest.builder().name(name).image(cluster.tcpdumpImage()).filter("tcp port " + PORT)
                .target(new CaptureTarget(namespace.name(), "", List.of("b"), "")).outputDirectory(output)
                .bufferSize(BUFFER_KIB).build();
    }

    private static ClusterAccess access(TestCluster cluster) {
        return new ClusterAccess(cluster.kubeconfig().orElseThrow(() -> new IllegalStateException(
                "the throughput bench needs a cluster named by a kubeconfig (the local harness)")), "");
    }

    /** Pod b: busybox httpd serving files of every size. */
    private static String createServer(TestCluster cluster, TestNamespace namespace) {
        return E2ePods.createFileServerPod(cluster, namespace, "b", SIZES_MB).getStatus().getPodIP();
    }

    /** The HTTP header busybox httpd sends before the file, as wget asks for it, by asking once inside pod b. */
    private static int headerLength(TestCluster cluster, TestNamespace namespace, int size) {
        E2ePods.ExecResult result = E2ePods.exec(cluster.client(), namespace, "b", "app", Duration.ofMinutes(1),
                "sh", "-c", "printf 'GET /f" + size + " HTTP/1.1\\r\\nHost: b\\r\\nUser-Agent: Wget\\r\\n"
                        + "Connection: close\\r\\n\\r\\n' | nc 127.0.0.1 " + PORT + " | head -c 4096");
        String text = new String(result.stdout(), StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (result.exitCode() != 0 || end < 0 || !text.startsWith("HTTP/1.1 200")) {
            throw new AssertionError("no HTTP header from pod b for f" + size + ": " + text + result.stderr());
        }
        return end + 4;
    }

    /** Pod a downloads a file from pod b at full speed; returns the wall time in the pod (microseconds, by ts). */
    private static double download(TestCluster cluster, TestNamespace namespace, String serverIp, int size) {
        E2ePods.ExecResult result = E2ePods.exec(cluster.client(), namespace, "a", "app", Duration.ofMinutes(5),
                "sh", "-c", "echo | ts %.s; wget -q -O /dev/null http://" + serverIp + ":" + PORT + "/f" + size
                        + "; s=$?; echo | ts %.s; exit $s");
        List<String> lines = result.stdoutText().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (result.exitCode() != 0 || lines.size() != 2) {
            throw new AssertionError("download of f" + size + " failed: exit " + result.exitCode() + ", "
                    + result.stdoutText() + result.stderr());
        }
        return Double.parseDouble(lines.get(1)) - Double.parseDouble(lines.get(0));
    }

    /** Bytes of the slice's files on disk now: what has come through the API server so far. */
    private static long pcapBytes(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            long sum = 0;
            for (Path file : files.toList()) {
                sum += Files.size(file);
            }
            return sum;
        }
    }

    /**
     * The server's TCP payload to pod a in a capture (the kubelet's readiness probes to the same port are other
     * connections). Bytes are counted once each in sequence space (a retransmission or a packet seen twice adds
     * nothing), so {@code covered} equals {@code expected} exactly when nothing is missing. The FIN's relative
     * sequence number plus its length is what the server really sent (0 without SYN or FIN).
     *
     * @param packets   packets from the server's port to pod a
     * @param raw       payload bytes of those packets, retransmissions included (what tshark sums as tcp.len)
     * @param covered   distinct payload bytes
     * @param expected  the bytes the server sends: file plus HTTP header
     * @param finSent   the bytes sent by the FIN's sequence number, or 0 when SYN or FIN are missing
     * @param truncated packets whose payload was cut by the snap length
     */
    record Payload(long packets, long raw, long covered, long expected, long finSent, long truncated) {
        boolean whole() {
            return covered == expected && finSent == expected && truncated == 0;
        }

        double percent() {
            return 100.0 * covered / expected;
        }

        static Payload of(List<Path> files, String client, long expected) throws IOException {
            long packets = 0;
            long raw = 0;
            long truncated = 0;
            long isn = -1;
            long base = -1;
            long highest = 0;
            long covered = 0;
            long finSent = 0;
            long finSeq = -1;
            long finLength = 0;
            for (Path file : files) {
                try (CaptureReader reader = CaptureReader.open(file)) {
                    for (Packet p = reader.next(); p != null; p = reader.next()) {
                        if (!p.isTcp() || p.srcPort() != PORT || !p.dstAddressText().equals(client)) {
                            continue;
                        }
                        packets++;
                        if (p.hasFlags(Packet.SYN)) {
                            isn = p.seq();
                            continue;
                        }
                        int length = p.payloadLength();
                        raw += length;
                        if (p.capturedPayloadLength() < length) {
                            truncated++;
                        }
                        if (base < 0) {
                            // Sequence space starts after the SYN; without a SYN, at the first data seen.
                            base = isn >= 0 ? (isn + 1) & 0xffffffffL : p.seq();
                        }
                        // Signed 32-bit distance from the base: wraps and earlier packets come out right.
                        long start = (int) (p.seq() - base);
                        long end = start + length;
                        if (end > highest) {
                            covered += end - Math.max(start, highest);
                            highest = end;
                        }
                        if (p.hasFlags(Packet.FIN)) {
                            finSeq = p.seq();
                            finLength = length;
                        }
                    }
                }
            }
            if (isn >= 0 && finSeq >= 0) {
                finSent = ((finSeq - isn - 1) & 0xffffffffL) + finLength;
            }
            return new Payload(packets, raw, covered, expected, finSent, truncated);
        }
    }

    /**
     * tshark reads the same file: its sum of tcp.len from the server to pod a (retransmissions included, since its
     * retransmission and out-of-order flags are heuristics that do not single out duplicates) and the bytes its FIN
     * says were sent, against ours.
     */
    private static String tsharkSpotCheck(String name, Path file, String client, Payload ours) {
        try {
            String flow = "ip.dst == " + client + " && tcp.srcport == " + PORT;
            long sum = 0;
            for (String line : tshark(file, flow + " && tcp.len > 0", "tcp.len")) {
                sum += Long.parseLong(line);
            }
            long fin = 0;
            for (String line : tshark(file, flow + " && tcp.flags.fin == 1", "tcp.seq", "tcp.len")) {
                String[] fields = line.split("\\s+");
                fin = Math.max(fin, Long.parseLong(fields[0]) + Long.parseLong(fields[1]) - 1);
            }
            String verdict = "agree";
            if (sum != ours.raw() || fin != ours.finSent()) {
                Path kept = Path.of("target", "capture-throughput-" + name + ".pcap");
                Files.copy(file, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                verdict = "DISAGREE, capture kept as core/" + kept;
            }
            return String.format("tshark spot check (%s): tshark %,d payload bytes and FIN at %,d, ours %,d and %,d: "
                    + "%s", name, sum, fin, ours.raw(), ours.finSent(), verdict);
        } catch (IOException e) {
            return "tshark spot check: skipped (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "tshark spot check: interrupted";
        }
    }

    private static List<String> tshark(Path file, String filter, String... fields)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-Y", filter, "-T",
                "fields"));
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        Process tshark = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (!tshark.waitFor(120, TimeUnit.SECONDS) || tshark.exitValue() != 0) {
            throw new IOException("tshark failed on " + file);
        }
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void keepOrDelete(Path output) throws IOException {
        if (!KEEP.isEmpty()) {
            Files.createDirectories(Path.of(KEEP));
            try (Stream<Path> sessions = Files.list(output)) {
                for (Path session : sessions.toList()) {
                    Files.move(session, Path.of(KEEP).resolve(session.getFileName()));
                }
            }
        }
        deleteTree(output);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                if (!path.equals(root)) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static String report(TestCluster cluster, String loadBefore, String loadAfter,
            Map<Integer, Integer> headers, Map<String, Double> idle, List<Download> downloads,
            List<String> sessions, String spotCheck) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("capture throughput on %s%n", cluster.description()));
        out.append(String.format("pod a downloads from pod b (busybox httpd, wget -O /dev/null), %d runs per size "
                + "without and with capture; capture: ephemeral, filter 'tcp port %d', ring %d KiB%s, "
                + "snap %d, one slice per download%n", REPETITIONS, PORT, BUFFER_KIB,
                BUFFER_KIB == CaptureRequest.DEFAULT_BUFFER_SIZE ? " (default)" : " (NOT the default)",
                TcpdumpCommand.WHOLE_PACKET_SNAP));
        out.append(String.format("load average at start %s, at end %s; %d cores%n%n", loadBefore, loadAfter,
                Runtime.getRuntime().availableProcessors()));

        out.append("medians of the runs (payload and drops: worst run)\n");
        out.append(String.format("%-7s %9s %9s %10s %8s %10s %8s %9s %9s %10s %9s %8s%n", "size", "plain s",
                "capture s", "wire rate", "plain", "payload", "drops", "API MB/s", "slice s", "backlog",
                "complete", "silent"));
        out.append(String.format("%-7s %9s %9s %10s %8s %10s %8s %9s %9s %10s %9s %8s%n", "", "(in pod)",
                "(in pod)", "with/w/o", "MB/s", "% (worst)", "(total)", "", "(to end)", "MB (max)", "runs",
                "loss"));
        boolean goal = true;
        for (int size : SIZES_MB) {
            List<Download> plain = of(downloads, size, false);
            List<Download> captured = of(downloads, size, true);
            double plainSeconds = median(plain.stream().map(Download::podSeconds).toList());
            double captureSeconds = median(captured.stream().map(Download::podSeconds).toList());
            double worstPayload = captured.stream().mapToDouble(d -> d.payload().percent()).min().orElse(0);
            long drops = captured.stream().mapToLong(d -> d.capture().counters() == null ? 0
                    : d.capture().counters().droppedByKernel()).sum();
            boolean countersMissing = captured.stream().anyMatch(d -> d.capture().counters() == null);
            long complete = captured.stream().filter(d -> d.capture().complete()).count();
            double apiRate = median(captured.stream().map(d -> d.capture().bytes() / 1e6 / d.sliceSeconds())
                    .toList());
            long silent = captured.stream().filter(d -> d.capture().complete() && !d.payload().whole()).count();
            out.append(String.format("%-7s %9.3f %9.3f %9.0f%% %8.0f %10.3f %8s %9.1f %9.1f %10.0f %6d/%d %8d%n",
                    size + " MB", plainSeconds, captureSeconds, 100 * plainSeconds / captureSeconds,
                    size * MB / 1e6 / plainSeconds, worstPayload, countersMissing ? "n/a" : Long.toString(drops),
                    apiRate, median(captured.stream().map(Download::sliceSeconds).toList()),
                    captured.stream().mapToLong(Download::backlogBytes).max().orElse(0) / 1e6, complete,
                    captured.size(), silent));
            goal &= !countersMissing && drops == 0 && complete == captured.size()
                    && captured.stream().allMatch(d -> d.payload().whole());
        }

        out.append("\nCPU-seconds per captured GB (download start to slice end, all runs of a size; in brackets: "
                + "less the idle rate and less the same downloads without capture)\n");
        out.append(String.format("%-7s %8s", "size", "GB"));
        CPU_HEADINGS.forEach(h -> out.append(String.format(" %18s", h)));
        out.append('\n');
        for (int size : SIZES_MB) {
            List<Download> captured = of(downloads, size, true);
            List<Download> plain = of(downloads, size, false);
            double gb = captured.stream().mapToLong(d -> d.capture().bytes()).sum() / GB;
            double seconds = captured.stream().mapToDouble(Download::sliceSeconds).sum();
            out.append(String.format("%-7s %8.3f", size + " MB", gb));
            for (String group : CPU_REPORTED) {
                double with = captured.stream().mapToDouble(d -> d.cpu().get(group)).sum();
                double without = plain.stream().mapToDouble(d -> d.cpu().get(group)).sum();
                double idleRate = idle.get(group) / IDLE_SECONDS;
                double net = with - idleRate * seconds - without;
                out.append(String.format(" %18s", String.format("%.1f (%.1f)", with / gb, net / gb)));
            }
            out.append('\n');
        }
        out.append(String.format("idle rate over %d s before the runs, CPU-s per s:", IDLE_SECONDS));
        for (int i = 0; i < CPU_REPORTED.size(); i++) {
            out.append(String.format(" %s %.3f;", CPU_HEADINGS.get(i), idle.get(CPU_REPORTED.get(i)) / IDLE_SECONDS));
        }
        out.append('\n');

        out.append("\nper run\n");
        out.append(String.format("%-7s %-8s %9s %9s %9s %9s %14s %14s %14s %14s %6s %8s %9s %9s  %s%n", "size",
                "capture", "pod s", "slice s", "in slice", "to pod a", "payload B", "expected B", "FIN says B",
                "incl. rexmit B", "cut", "drops", "captured", "received", "incomplete reason"));
        for (Download d : downloads) {
            if (!d.captured()) {
                out.append(String.format("%-7s %-8s %9.3f%n", d.sizeMb() + " MB", "no", d.podSeconds()));
                continue;
            }
            TcpdumpCounters c = d.capture().counters();
            out.append(String.format("%-7s %-8s %9.3f %9.2f %9d %9d %14d %14d %14d %14d %6d %8s %9s %9s  %s%n",
                    d.sizeMb() + " MB", "yes", d.podSeconds(), d.sliceSeconds(), d.capture().packets(),
                    d.payload().packets(),
                    d.payload().covered(), d.payload().expected(), d.payload().finSent(), d.payload().raw(),
                    d.payload().truncated(), c == null ? "n/a" : c.droppedByKernel(),
                    c == null ? "n/a" : c.captured(), c == null ? "n/a" : c.receivedByFilter(),
                    d.capture().incompleteReason() == null ? "-" : d.capture().incompleteReason()));
        }
        out.append("wire rate: plain time / capture time of the download in pod a. payload: distinct bytes from "
                + "the server to pod a in the slice / (file + HTTP header). drops: tcpdump's kernel drops in the "
                + "slice's window. API MB/s: slice file bytes / (download start to slice end). backlog: slice bytes "
                + "not yet arrived when the download ended. silent loss: runs whose slice said complete with payload "
                + "missing. in slice: packets in the slice file; captured/received: tcpdump's counters for the "
                + "window (read after the slice's wait, so they may count a few later probe packets)\n");
        out.append(String.format("HTTP header bytes per size (busybox httpd): %s%n", headers));
        sessions.forEach(line -> out.append(line).append('\n'));
        out.append(spotCheck).append('\n');
        boolean defaults = BUFFER_KIB == CaptureRequest.DEFAULT_BUFFER_SIZE;
        out.append(!defaults ? (goal ? "PASS (ring " : "FAIL (ring ") + BUFFER_KIB + " KiB, not the default: "
                + "says nothing of the goal)  zero kernel drops and every payload byte, every size\n"
                : goal ? "PASS  goal met: zero kernel drops, every payload byte, complete, at default settings, every size\n"
                : "FAIL  goal missed: zero kernel drops and every payload byte at default settings for every size "
                        + "(see the rows above)\n");
        return out.toString();
    }

    private static List<Download> of(List<Download> downloads, int size, boolean captured) {
        return downloads.stream().filter(d -> d.sizeMb() == size && d.captured() == captured).toList();
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
