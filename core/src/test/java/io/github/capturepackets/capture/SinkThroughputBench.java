package io.github.capturepackets.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * How fast the stream sink writes a pcap stream to disk (with rotation and one open slice), to show it is not what
 * limits a capture. Run after {@code ./mvnw -B -q -pl core test-compile}:
 * {@code java -cp core/target/test-classes:core/target/classes io.github.capturepackets.capture.SinkThroughputBench [MB]}.
 */
public final class SinkThroughputBench {
    private SinkThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 512;
        byte[] sample;
        try (InputStream in = SinkThroughputBench.class.getResourceAsStream("/pcap/any-sll2-s128.pcap")) {
            sample = in.readAllBytes();
        }
        byte[] header = Arrays.copyOf(sample, PcapStreamSink.GLOBAL_HEADER_LENGTH);
        byte[] records = Arrays.copyOfRange(sample, PcapStreamSink.GLOBAL_HEADER_LENGTH, sample.length);
        long target = megabytes * 1024 * 1024;
        Path dir = Files.createTempDirectory("sink-bench");
        for (int round = 0; round < 3; round++) {
            PcapStreamSink sink = new PcapStreamSink(dir.resolve("pod" + round),
                    new CaptureLimits(Duration.ofHours(1), 0, 0, 256L * 1024 * 1024), reason -> { });
            sink.openSlice(dir.resolve("slice" + round + ".pcap"), Instant.EPOCH);
            long begin = System.nanoTime();
            sink.consume(new RepeatingStream(header, records, target));
            double seconds = (System.nanoTime() - begin) / 1e9;
            System.out.printf("round %d: %d packets, %.0f MB in %.2f s = %.0f MB/s, %.0f kpackets/s%n", round,
                    sink.packets(), sink.bytes() / 1e6, seconds, sink.bytes() / 1e6 / seconds,
                    sink.packets() / 1e3 / seconds);
            for (Path file : sink.files()) {
                Files.delete(file);
            }
        }
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    /** The header, then the sample's records again and again up to a size (whole records only). */
    private static final class RepeatingStream extends InputStream {
        private final byte[] header;
        private final byte[] records;
        private final long limit;
        private long position;

        RepeatingStream(byte[] header, byte[] records, long limit) {
            this.header = header;
            this.records = records;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position < header.length) {
                int n = (int) Math.min(length, header.length - position);
                System.arraycopy(header, (int) position, buffer, offset, n);
                position += n;
                return n;
            }
            long inRecords = position - header.length;
            long rounds = limit / records.length;
            if (inRecords >= rounds * records.length) {
                return -1;
            }
            int at = (int) (inRecords % records.length);
            int n = Math.min(length, records.length - at);
            System.arraycopy(records, at, buffer, offset, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return 1;
        }
    }
}
