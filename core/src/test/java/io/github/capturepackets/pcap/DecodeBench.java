package io.github.capturepackets.pcap;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Times reading and decoding captures with {@link CaptureReader}, for the benchmark scripts.
 *
 * <pre>
 * ./mvnw -B -q -pl core test-compile
 * java -Xmx256m -cp core/target/classes:core/target/test-classes \
 *     io.github.capturepackets.pcap.DecodeBench [--repeat N] FILE...
 * java -Xmx16m -cp ... io.github.capturepackets.pcap.DecodeBench --synthetic PACKETS
 * </pre>
 *
 * Prints one line per pass: packets, bytes, wall and CPU seconds of the reading thread, packets/s, MB/s, bytes allocated per packet on the reading
 * thread, and whether the capture was complete. Every decoded field is folded into a checksum so nothing is
 * optimized away.
 */
public final class DecodeBench {

    private DecodeBench() {}

    public static void main(String[] args) throws IOException {
        int repeat = 1;
        int first = 0;
        if (args.length >= 2 && args[0].equals("--repeat")) {
            repeat = Integer.parseInt(args[1]);
            first = 2;
        }
        if (args.length - first == 2 && args[first].equals("--synthetic")) {
            long packets = Long.parseLong(args[first + 1]);
            for (int r = 0; r < repeat; r++) {
                GeneratedCaptureStream in = new GeneratedCaptureStream(packets);
                try (CaptureReader reader = CaptureReader.open(in, "synthetic")) {
                    pass("synthetic", reader, in.size());
                }
            }
            return;
        }
        if (args.length - first < 1) {
            System.err.println("usage: DecodeBench [--repeat N] FILE... | [--repeat N] --synthetic PACKETS");
            System.exit(2);
        }
        for (int r = 0; r < repeat; r++) {
            for (int i = first; i < args.length; i++) {
                Path file = Path.of(args[i]);
                try (CaptureReader reader = CaptureReader.open(file)) {
                    pass(file.toString(), reader, Files.size(file));
                }
            }
        }
    }

    private static void pass(String name, CaptureReader reader, long bytes) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long allocatedBefore = threads.getThreadAllocatedBytes(thread);
        long cpuBefore = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long packets = 0;
        long checksum = 0;
        long tcp = 0;
        Packet p;
        while ((p = reader.next()) != null) {
            packets++;
            checksum += p.srcHi() ^ p.srcLo() ^ p.dstHi() ^ p.dstLo();
            checksum += p.srcPort() * 31L + p.dstPort() + p.seq() + p.ack() + p.tcpFlags() + p.window()
                    + p.payloadLength() + p.timestampNanos() + p.ipProtocol();
            if (p.isTcp()) {
                tcp++;
            }
        }
        long nanos = System.nanoTime() - start;
        long cpuNanos = threads.getCurrentThreadCpuTime() - cpuBefore;
        long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
        double seconds = nanos / 1e9;
        System.out.printf(Locale.ROOT, "%s: packets=%d tcp=%d bytes=%d seconds=%.3f cpuSeconds=%.3f packets/s=%.0f MB/s=%.0f"
                + " allocatedBytesPerPacket=%.3f complete=%s problems=%s checksum=%x%n", name, packets, tcp, bytes,
                seconds, cpuNanos / 1e9, packets / seconds, bytes / seconds / 1e6, packets == 0 ? 0.0 : (double) allocated / packets,
                reader.complete(), reader.problems(), checksum);
    }
}
