package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of the reader and decoder.
 *
 * <p>The default run mutates 100,000 inputs. The full run of a million (or any number) is:
 * {@code ./mvnw -B -q -pl core test -Dtest=CaptureFuzzTest -Dcapturepackets.fuzz.iterations=1000000}; a failure
 * prints the seed and iteration, and {@code -Dcapturepackets.fuzz.seed=N} replays a run.
 */
@DisplayName("Fuzzing: mutated captures never throw anything but CaptureFormatException, never hang, never over-allocate")
class CaptureFuzzTest {

    static final String ITERATIONS_PROPERTY = "capturepackets.fuzz.iterations";
    static final String SEED_PROPERTY = "capturepackets.fuzz.seed";

    private static final int[] INTERESTING_32 = {0, 1, -1, 0x7fffffff, 0x80000000, 0x7ffffff0, 12, 16, 20, 28, 32,
        64, 262_144, 262_145, 65_535, 65_536, 0x0a0d0d0a, 0x1a2b3c4d, 0xa1b2c3d4, 1, 6, 3, 2, 5};
    private static final int[] INTERESTING_16 = {0, 1, 0xffff, 0x7fff, 0x8000, 0x0800, 0x86dd, 0x8100, 0x88a8, 4, 5,
        6, 9, 14, 20, 40, 60};
    private static final int[] INTERESTING_8 = {0, 1, 0x7f, 0x80, 0xff, 0x45, 0x4f, 0x60, 6, 17, 58, 1, 44, 0, 43,
        60, 51, 0x50, 0xf0, 2};

    @Test
    @DisplayName("Mutated real and synthetic captures: only CaptureFormatException, bounded time and allocation")
    void fuzz() throws Exception {
        int iterations = Integer.getInteger(ITERATIONS_PROPERTY, 100_000);
        long seed = Long.getLong(SEED_PROPERTY, 20_261_121L);
        List<byte[]> seeds = seeds();
        Duration budget = Duration.ofSeconds(Math.max(180, iterations / 2_000));
        Stats stats = assertTimeoutPreemptively(budget, () -> run(seeds, iterations, seed),
                () -> "fuzzing did not finish within " + budget + ": an input makes the reader hang (seed " + seed + ")");

        assertThat(stats.failures).as("inputs that threw something other than CaptureFormatException").isEmpty();
        assertThat(stats.maxNanos).as("slowest single input (ns)").isLessThan(Duration.ofSeconds(2).toNanos());
        assertThat(stats.allocationViolations).as("inputs that allocated more than 4x their size + 256 KiB").isEmpty();
        // The mutations must actually reach every outcome, or the fuzzing proves little.
        assertThat(stats.problems.keySet()).contains(CaptureProblem.Kind.TRUNCATED, CaptureProblem.Kind.CORRUPT,
                CaptureProblem.Kind.UNSUPPORTED_LINK_TYPE);
        assertThat(stats.fatal.keySet()).contains(CaptureProblem.Kind.NOT_A_CAPTURE, CaptureProblem.Kind.TRUNCATED);
        assertThat(stats.decodeErrors.keySet()).contains(DecodeError.LINK, DecodeError.NETWORK, DecodeError.TRANSPORT);
        assertThat(stats.packets).isGreaterThan(iterations);
        System.out.printf("fuzz: %d inputs, seed %d, %d packets, %.1f s, slowest input %.2f ms, fatal %s, problems %s,"
                + " decode errors %s%n", iterations, seed, stats.packets, stats.wallNanos / 1e9, stats.maxNanos / 1e6,
                stats.fatal, stats.problems, stats.decodeErrors);
    }

    static final class Stats {
        final List<String> failures = new ArrayList<>();
        final List<String> allocationViolations = new ArrayList<>();
        final Map<CaptureProblem.Kind, Long> fatal = new EnumMap<>(CaptureProblem.Kind.class);
        final Map<CaptureProblem.Kind, Long> problems = new EnumMap<>(CaptureProblem.Kind.class);
        final Map<DecodeError, Long> decodeErrors = new EnumMap<>(DecodeError.class);
        long packets;
        long maxNanos;
        long wallNanos;
        long sink;
    }

    static Stats run(List<byte[]> seeds, int iterations, long seed) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        SplittableRandom random = new SplittableRandom(seed);
        Stats stats = new Stats();
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), seeds, random);
            long allocatedBefore = threads.getThreadAllocatedBytes(thread);
            long t0 = System.nanoTime();
            try {
                readFully(input, stats);
            } catch (CaptureFormatException expected) {
                stats.fatal.merge(expected.problem().kind(), 1L, Long::sum);
                assertThat(expected.getMessage()).contains("fuzz");
            } catch (Throwable unexpected) {
                if (stats.failures.size() < 5) {
                    stats.failures.add("seed " + seed + " iteration " + i + ": " + unexpected + " at "
                            + Arrays.toString(Arrays.copyOf(unexpected.getStackTrace(), 4)) + " input saved to "
                            + save(input, seed, i));
                }
            }
            long elapsed = System.nanoTime() - t0;
            stats.maxNanos = Math.max(stats.maxNanos, i < 1000 ? 0 : elapsed);
            long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
            // The first inputs also pay for class loading and JIT bookkeeping: measure after warm-up.
            if (i >= 1000 && allocated > 4L * input.length + 256 * 1024 && stats.allocationViolations.size() < 5) {
                stats.allocationViolations.add("seed " + seed + " iteration " + i + ": " + allocated + " bytes for a "
                        + input.length + "-byte input, saved to " + save(input, seed, i));
            }
        }
        stats.wallNanos = System.nanoTime() - start;
        return stats;
    }

    private static void readFully(byte[] input, Stats stats) throws IOException {
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(input), "fuzz", 4096)) {
            long expectedFrame = 1;
            Packet p;
            while ((p = reader.next()) != null) {
                if (p.frameNumber() != expectedFrame++) {
                    throw new AssertionError("frame numbers skip: " + p.frameNumber());
                }
                if (p.capturedLength() < 0 || p.capturedLength() > CaptureReader.MAX_PACKET_LENGTH
                        || p.dataOffset() + p.capturedLength() > p.data().length) {
                    throw new AssertionError("packet bytes outside the buffer: " + p);
                }
                if (p.payloadOffset() >= 0 && p.capturedPayloadLength() > 0
                        && p.payloadOffset() + p.capturedPayloadLength() > p.capturedLength()) {
                    throw new AssertionError("captured payload beyond captured bytes: " + p);
                }
                stats.packets++;
                stats.decodeErrors.merge(p.decodeError(), 1L, Long::sum);
                stats.sink += p.srcLo() + p.dstHi() + p.srcPort() + p.seq() + p.payloadLength() + p.innerSrcPort()
                        + p.timestampNanos() + p.ipProtocol() + p.icmpType() + p.sackBlockCount();
                if (p.hasComment()) {
                    stats.sink += p.comment().length();
                }
            }
            if (reader.complete() == reader.problems().stream().anyMatch(CaptureProblem::losesPackets)) {
                throw new AssertionError("complete() disagrees with problems(): " + reader.problems());
            }
            if (reader.packetCount() != expectedFrame - 1) {
                throw new AssertionError("packetCount() " + reader.packetCount() + " != delivered");
            }
            for (CaptureProblem problem : reader.problems()) {
                stats.problems.merge(problem.kind(), 1L, Long::sum);
            }
        }
    }

    static byte[] mutate(byte[] seed, List<byte[]> seeds, SplittableRandom random) {
        byte[] b = seed;
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            if (b.length == 0) {
                return b;
            }
            // Headers live near the start and at record boundaries: bias a third of positions to the first 64 bytes.
            int pos = random.nextInt(3) == 0 ? random.nextInt(Math.min(64, b.length)) : random.nextInt(b.length);
            switch (random.nextInt(9)) {
                case 0: {
                    b = b == seed ? b.clone() : b;
                    int flips = 1 + random.nextInt(8);
                    for (int f = 0; f < flips; f++) {
                        int at = random.nextInt(b.length);
                        b[at] ^= (byte) (1 << random.nextInt(8));
                    }
                    break;
                }
                case 1:
                    b = b == seed ? b.clone() : b;
                    b[pos] = (byte) INTERESTING_8[random.nextInt(INTERESTING_8.length)];
                    break;
                case 2: {
                    if (pos + 4 > b.length) {
                        break;
                    }
                    b = b == seed ? b.clone() : b;
                    int v = random.nextInt(4) == 0 ? random.nextInt() : INTERESTING_32[random.nextInt(INTERESTING_32.length)];
                    ByteBuffer.wrap(b).order(random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                            .putInt(pos & ~3, v);
                    break;
                }
                case 3: {
                    if (pos + 2 > b.length) {
                        break;
                    }
                    b = b == seed ? b.clone() : b;
                    int v = INTERESTING_16[random.nextInt(INTERESTING_16.length)];
                    ByteBuffer.wrap(b).order(random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                            .putShort(pos, (short) v);
                    break;
                }
                case 4:
                    b = Arrays.copyOf(b, random.nextInt(b.length + 1));
                    break;
                case 5: {
                    int len = Math.min(b.length - pos, 1 + random.nextInt(64));
                    byte[] out = new byte[b.length - len];
                    System.arraycopy(b, 0, out, 0, pos);
                    System.arraycopy(b, pos + len, out, pos, b.length - pos - len);
                    b = out;
                    break;
                }
                case 6: {
                    int from = random.nextInt(b.length);
                    int len = Math.min(b.length - from, 1 + random.nextInt(128));
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, pos);
                    System.arraycopy(b, from, out, pos, len);
                    System.arraycopy(b, pos, out, pos + len, b.length - pos);
                    b = out;
                    break;
                }
                case 7: {
                    byte[] other = seeds.get(random.nextInt(seeds.size()));
                    int from = random.nextInt(other.length);
                    int len = Math.min(other.length - from, 1 + random.nextInt(512));
                    byte[] out = Arrays.copyOf(b, pos + len);
                    System.arraycopy(other, from, out, pos, len);
                    b = out;
                    break;
                }
                default: {
                    b = b == seed ? b.clone() : b;
                    int len = Math.min(b.length - pos, 1 + random.nextInt(16));
                    for (int k = 0; k < len; k++) {
                        b[pos + k] = (byte) random.nextInt(256);
                    }
                    break;
                }
            }
        }
        return b;
    }

    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        for (String name : Fixtures.ALL) {
            seeds.add(Fixtures.bytes(name));
        }
        seeds.add(RealCaptureOracleTest.toBigEndian(Fixtures.bytes(Fixtures.SLL2)));
        seeds.add(PcapngFeaturesTest.twoSections());
        seeds.add(SyntheticCaptures.pcap(1, CraftedPacketsTest.ethernetFrames()));
        byte[] v4 = Frames.ipv4("127.0.0.1", "127.0.0.2", 17, Frames.udp(1, 2, Frames.bytes(5)));
        byte[] v6 = Frames.ipv6("::1", "::2", 6, Frames.tcp(3, 4, 5, 6, Packet.ACK, 7, Frames.synOptions(),
                Frames.bytes(2)));
        seeds.add(SyntheticCaptures.pcap(0, List.of(Frames.family(2, false, v4), Frames.family(30, false, v6))));
        seeds.add(SyntheticCaptures.pcap(101, List.of(v4, v6)));
        return seeds;
    }

    private static String save(byte[] input, long seed, int iteration) {
        try {
            Path dir = Files.createDirectories(Path.of("target", "fuzz-failures"));
            Path file = dir.resolve("seed-" + seed + "-iteration-" + iteration + ".bin");
            Files.write(file, input);
            return file.toAbsolutePath().toString();
        } catch (IOException e) {
            return "(not saved: " + e.getMessage() + ")";
        }
    }
}
