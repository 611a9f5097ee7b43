package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.Packet;
import io.github.capturepackets.report.Reports;
import io.github.capturepackets.testing.ScenarioCaptures;
import io.github.capturepackets.testing.ScenarioCaptures.Capture;
import io.github.capturepackets.testing.ScenarioCaptures.Scenario;
import io.github.capturepackets.testing.ScenarioCaptures.View;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of the whole analysis: runs of consecutive packets from the real scenario captures (HTTP,
 * DNS over UDP and TCP, TLS handshakes and alerts, ICMP errors with their quoted packets, TCP loss, resets and zero
 * windows), with their payload bytes mutated (and now and then headers, packet order, captured lengths and the
 * record framing), written as a pcap and given to {@link Analyzer#analyze} and the three report writers.
 *
 * <p>Documented exceptions: none. The analyzer reports an unreadable or damaged file as capture problems in the
 * report, so any throwable here is a bug. Each input must also stay within a CPU-time and an allocation bound.
 * The default run is {@value #DEFAULT_ITERATIONS} inputs (about 20 s here); a longer one is
 * {@code ./mvnw -B -pl core test -Dtest=AnalysisFuzzTest -Dcapturepackets.analysisFuzz.iterations=200000}; a failure
 * names the seed and iteration and saves the input, and {@code -Dcapturepackets.analysisFuzz.seed=N} replays a run.
 */
@DisplayName("Fuzzing the analysis: mutated payloads of real captures never throw, never hang, never over-allocate")
class AnalysisFuzzTest {
    static final int DEFAULT_ITERATIONS = 10_000;
    static final String ITERATIONS_PROPERTY = "capturepackets.analysisFuzz.iterations";
    static final String SEED_PROPERTY = "capturepackets.analysisFuzz.seed";
    /** Bounds per input, after warm-up: far above what a run of at most 48 packets needs (see the README figure). */
    static final long MAX_CPU_NANOS = Duration.ofMillis(100).toNanos();
    static final long MAX_ALLOCATED_BYTES = 16L << 20;
    private static final int WARM_UP = 200;
    private static final int PACKETS_PER_CAPTURE = 400;
    private static final int MAX_WINDOW = 48;

    /** One packet as read: its link type, time, original length and bytes, and where its payload starts. */
    private record Frame(int linkType, long nanos, int originalLength, byte[] bytes, int payloadStart, String kind) {
    }

    private static final byte[][] TOKENS = {ascii("HTTP/1.1 "), ascii("HTTP/1.1 200 OK\r\n"), ascii("GET / HTTP/1.1\r\n"),
        ascii("Content-Length: 99999999999999999999\r\n"), ascii("Content-Length: -1\r\n"), ascii("content-length:0\r\n"),
        ascii("Transfer-Encoding: chunked\r\n"), ascii("\r\n\r\n"), ascii("0\r\n\r\n"), ascii("ffffffff\r\n"),
        ascii("HEAD "), ascii("HTTP/1.0 304 "), {(byte) 0xc0, 0x0c}, {(byte) 0xc0, (byte) 0xff}, {0x3f}, {0x16, 0x03, 0x01},
        {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x30}, {0x16, 0x03, 0x03, (byte) 0xff, (byte) 0xff, 0x01}, {0x00, 0x00},
        {(byte) 0xff, (byte) 0xff}, {0x45, 0x00}, {0x60, 0x00}};

    @TempDir
    Path dir;

    @Test
    @DisplayName("Mutated runs of real scenario packets: no throwable, at most 100 ms CPU and 16 MiB allocated per "
            + "input, and the mutations reach the HTTP, DNS, TLS and ICMP parsers")
    void fuzz() throws Exception {
        int iterations = Integer.getInteger(ITERATIONS_PROPERTY, DEFAULT_ITERATIONS);
        long seed = Long.getLong(SEED_PROPERTY, 20_261_207L);
        List<List<Frame>> seeds = seeds();
        Duration budget = Duration.ofSeconds(Math.max(300, iterations / 100));
        Stats stats = assertTimeoutPreemptively(budget, () -> run(seeds, iterations, seed),
                () -> "fuzzing did not finish within " + budget + ": an input makes the analysis hang (seed " + seed
                        + ")");

        assertThat(stats.failures).as("inputs that threw").isEmpty();
        assertThat(stats.slow).as("inputs above %d ms CPU", MAX_CPU_NANOS / 1_000_000).isEmpty();
        assertThat(stats.heavy).as("inputs that allocated more than %d MiB", MAX_ALLOCATED_BYTES >> 20).isEmpty();
        // The mutations must reach each parser with mutated bytes, and the parsers must still find things.
        assertThat(Arrays.stream(stats.mutated).min().orElseThrow())
                .as("fewest mutated payloads of one kind (http, dns, tls, icmp: %s)", Arrays.toString(stats.mutated))
                .isGreaterThan(iterations / 50);
        assertThat(stats.httpMessages).as("HTTP messages counted in mutated inputs").isPositive();
        assertThat(stats.dnsQueries).as("DNS queries counted in mutated inputs").isPositive();
        assertThat(stats.tlsRecords).as("TLS ClientHellos and alerts counted in mutated inputs").isPositive();
        assertThat(stats.icmpErrors).as("ICMP errors counted in mutated inputs").isPositive();
        assertThat(stats.damaged).as("inputs whose framing was damaged, reported as capture problems").isPositive();
        System.out.printf("analysis fuzz: %d inputs, seed %d, %d packets, %.1f s, slowest input %.2f ms CPU, most "
                + "allocated %.1f MiB, mutations http/dns/tls/icmp %s, counted: %d HTTP, %d DNS, %d TLS, %d ICMP, "
                + "%d damaged files%n", iterations, seed, stats.packets, stats.wallNanos / 1e9, stats.maxNanos / 1e6,
                stats.maxAllocated / 1048576.0, Arrays.toString(stats.mutated), stats.httpMessages, stats.dnsQueries,
                stats.tlsRecords, stats.icmpErrors, stats.damaged);
    }

    static final class Stats {
        final List<String> failures = new ArrayList<>();
        final List<String> slow = new ArrayList<>();
        final List<String> heavy = new ArrayList<>();
        final long[] mutated = new long[4];
        long packets;
        long maxNanos;
        long maxAllocated;
        long wallNanos;
        long httpMessages;
        long dnsQueries;
        long tlsRecords;
        long icmpErrors;
        long damaged;
        long sink;
    }

    private Stats run(List<List<Frame>> seeds, int iterations, long seed) throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        SplittableRandom random = new SplittableRandom(seed);
        Stats stats = new Stats();
        Path file = dir.resolve("input.pcap");
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            byte[] input = input(seeds.get(random.nextInt(seeds.size())), random, stats);
            Files.write(file, input);
            long allocatedBefore = threads.getThreadAllocatedBytes(thread);
            long t0 = threads.getCurrentThreadCpuTime();
            try {
                AnalysisReport report = Analyzer.analyze(List.of(file), List.of("fuzz"), AnalysisOptions.defaults(),
                        List.of());
                stats.sink += Reports.json(report).length() + Reports.html(report).length()
                        + Reports.markdown(report).length();
                stats.packets += report.packets();
                stats.httpMessages += report.stats().http().requests() + report.stats().http().responses();
                stats.dnsQueries += report.stats().dns().queries();
                stats.tlsRecords += report.stats().tls().clientHellos() + report.stats().tls().alerts();
                stats.icmpErrors += report.stats().icmp().unreachable() + report.stats().icmp().timeExceeded();
                stats.damaged += report.problems().isEmpty() ? 0 : 1;
            } catch (Throwable unexpected) {
                if (stats.failures.size() < 5) {
                    stats.failures.add("seed " + seed + " iteration " + i + ": " + unexpected + " at "
                            + Arrays.toString(Arrays.copyOf(unexpected.getStackTrace(), 6)) + " input saved to "
                            + save(input, seed, i));
                }
            }
            long cpu = threads.getCurrentThreadCpuTime() - t0;
            long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
            // The first inputs also pay for class loading and the JIT: measure after warm-up.
            if (i >= WARM_UP) {
                stats.maxNanos = Math.max(stats.maxNanos, cpu);
                stats.maxAllocated = Math.max(stats.maxAllocated, allocated);
                if (cpu > MAX_CPU_NANOS && stats.slow.size() < 5) {
                    stats.slow.add("seed " + seed + " iteration " + i + ": " + cpu / 1_000_000 + " ms, saved to "
                            + save(input, seed, i));
                }
                if (allocated > MAX_ALLOCATED_BYTES && stats.heavy.size() < 5) {
                    stats.heavy.add("seed " + seed + " iteration " + i + ": " + allocated + " bytes, saved to "
                            + save(input, seed, i));
                }
            }
        }
        stats.wallNanos = System.nanoTime() - start;
        return stats;
    }

    /** A run of consecutive packets of one capture, mutated, as a classic pcap file. */
    private static byte[] input(List<Frame> capture, SplittableRandom random, Stats stats) {
        int from = random.nextInt(capture.size());
        int length = 1 + random.nextInt(Math.min(MAX_WINDOW, capture.size() - from));
        List<byte[]> bytes = new ArrayList<>();
        List<Frame> frames = new ArrayList<>();
        for (int k = from; k < from + length; k++) {
            frames.add(capture.get(k));
            bytes.add(capture.get(k).bytes().clone());
        }
        int mutations = 1 + random.nextInt(8);
        for (int m = 0; m < mutations; m++) {
            int k = random.nextInt(bytes.size());
            Frame frame = frames.get(k);
            byte[] b = bytes.get(k);
            // Mostly payload bytes (what the HTTP, DNS, TLS and ICMP parsers read), sometimes any byte.
            int lo = random.nextInt(10) < 8 && frame.payloadStart() < b.length ? frame.payloadStart() : 0;
            if (lo >= b.length) {
                continue;
            }
            mutate(b, lo, random, capture);
            if (lo > 0) {
                switch (frame.kind()) {
                    case "http" -> stats.mutated[0]++;
                    case "dns" -> stats.mutated[1]++;
                    case "tls" -> stats.mutated[2]++;
                    case "icmp" -> stats.mutated[3]++;
                    default -> {
                    }
                }
            }
        }
        // Now and then the order or the number of packets, or a captured length, changes too.
        if (bytes.size() > 1 && random.nextInt(8) == 0) {
            int a = random.nextInt(bytes.size());
            int c = random.nextInt(bytes.size());
            swap(bytes, a, c);
            swap(frames, a, c);
        }
        if (random.nextInt(10) == 0) {
            int k = random.nextInt(bytes.size());
            bytes.add(k, bytes.get(k).clone());
            frames.add(k, frames.get(k));
        }
        int[] captured = new int[bytes.size()];
        for (int k = 0; k < captured.length; k++) {
            captured[k] = random.nextInt(16) == 0 ? random.nextInt(bytes.get(k).length + 1) : bytes.get(k).length;
        }
        byte[] pcap = pcap(frames, bytes, captured);
        if (random.nextInt(50) == 0) {
            // The framing itself: a byte of a record header or of the file header.
            pcap[random.nextInt(Math.min(pcap.length, 24 + 16 * 2))] = (byte) random.nextInt(256);
        }
        return pcap;
    }

    private static void mutate(byte[] b, int lo, SplittableRandom random, List<Frame> capture) {
        int at = lo + random.nextInt(b.length - lo);
        switch (random.nextInt(6)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = (byte) random.nextInt(256);
            case 2 -> b[at] = (byte) "\r\n: 0159HTP/\u0000\u007f\u0080\u00ff\u0016\u0015\u0003".charAt(random.nextInt(19));
            case 3 -> {
                byte[] token = TOKENS[random.nextInt(TOKENS.length)];
                System.arraycopy(token, 0, b, at, Math.min(token.length, b.length - at));
            }
            case 4 -> {
                // Bytes of another packet of the same capture: real protocol text in the wrong place.
                byte[] other = capture.get(random.nextInt(capture.size())).bytes();
                int src = random.nextInt(other.length);
                int n = Math.min(1 + random.nextInt(64), Math.min(other.length - src, b.length - at));
                System.arraycopy(other, src, b, at, n);
            }
            default -> {
                // A 16-bit length or count: DNS counts, TLS record lengths, IP lengths.
                int value = new int[] {0, 1, 0xffff, 0x7fff, 0x8000, 0x4000, 2, 5}[random.nextInt(8)];
                b[at] = (byte) (value >>> 8);
                if (at + 1 < b.length) {
                    b[at + 1] = (byte) value;
                }
            }
        }
    }

    private static <T> void swap(List<T> list, int a, int b) {
        T t = list.get(a);
        list.set(a, list.get(b));
        list.set(b, t);
    }

    private static byte[] pcap(List<Frame> frames, List<byte[]> bytes, int[] captured) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262_144)
                .putInt(frames.get(0).linkType());
        out.writeBytes(header.array());
        for (int k = 0; k < frames.size(); k++) {
            Frame frame = frames.get(k);
            ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt((int) (frame.nanos() / 1_000_000_000L)).putInt((int) (frame.nanos() % 1_000_000_000L / 1000))
                    .putInt(captured[k]).putInt(Math.max(frame.originalLength(), bytes.get(k).length));
            out.writeBytes(record.array());
            out.write(bytes.get(k), 0, captured[k]);
        }
        return out.toByteArray();
    }

    /** The first packets of every scenario's three client views: each a list of frames of one link type. */
    private static List<List<Frame>> seeds() throws IOException {
        List<List<Frame>> seeds = new ArrayList<>();
        for (Scenario scenario : Scenario.values()) {
            for (View view : View.clientViews()) {
                Capture capture = ScenarioCaptures.get().capture(scenario, view);
                List<Frame> frames = new ArrayList<>();
                try (CaptureReader reader = CaptureReader.open(capture.path())) {
                    Packet p;
                    while (frames.size() < PACKETS_PER_CAPTURE && (p = reader.next()) != null) {
                        byte[] b = Arrays.copyOfRange(p.data(), p.dataOffset(), p.dataOffset() + p.capturedLength());
                        int payload = p.payloadOffset() > 0 ? p.payloadOffset()
                                : p.isIcmp() ? p.transportOffset() : 0;
                        frames.add(new Frame(p.linkTypeCode(), p.timestampNanos(), (int) p.originalLength(), b,
                                payload, kind(p)));
                    }
                }
                seeds.add(frames);
            }
        }
        return seeds;
    }

    private static String kind(Packet p) {
        if (p.isIcmp()) {
            return "icmp";
        }
        int port = Math.min(p.srcPort(), p.dstPort());
        if (port == 53) {
            return "dns";
        }
        if (port == 443 || port == 8443) {
            return "tls";
        }
        return port == 80 || port == 8080 || port == 9090 ? "http" : "other";
    }

    private static String save(byte[] input, long seed, int iteration) {
        try {
            Path target = Path.of("target", "analysis-fuzz-failures");
            Files.createDirectories(target);
            Path file = target.resolve("seed-" + seed + "-iteration-" + iteration + ".pcap");
            Files.write(file, input);
            return file.toAbsolutePath().toString();
        } catch (IOException e) {
            return "(not saved: " + e + ")";
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
