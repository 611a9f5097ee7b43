package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stream sink on real tcpdump files (from src/test/resources/pcap), whole, cut short and corrupted. */
@DisplayName("Writing a live pcap stream to files")
class PcapStreamSinkTest {
    private static final CaptureLimits NO_LIMITS = new CaptureLimits(Duration.ofMinutes(1), 0, 0, 0);

    @TempDir
    Path output;

    @BeforeAll
    static void tshark() {
        LocalTraffic.assumeTshark();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = PcapStreamSinkTest.class.getResourceAsStream("/pcap/" + name)) {
            return in.readAllBytes();
        }
    }

    private PcapStreamSink sink(CaptureLimits limits, List<String> limitReasons) {
        return new PcapStreamSink(output.resolve("pod-" + System.nanoTime()), limits, limitReasons::add);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lo-ethernet-s128.pcap", "lo-ethernet-nanos-s128.pcap", "any-sll2-s128.pcap"})
    @DisplayName("a whole stream is copied byte for byte, micro- and nanosecond files alike")
    void wholeStream(String name) throws Exception {
        byte[] pcap = resource(name);
        PcapStreamSink sink = sink(NO_LIMITS, new ArrayList<>());
        sink.consume(new ByteArrayInputStream(pcap));
        assertThat(sink.streamProblem()).isNull();
        assertThat(Files.readAllBytes(sink.files().get(0))).isEqualTo(pcap);
        assertThat(sink.packets()).isEqualTo(LocalTraffic.tsharkCount(sink.files().get(0), ""));
        assertThat(sink.bytes()).isEqualTo(pcap.length);
    }

    @Test
    @DisplayName("a stream cut anywhere keeps every whole record, drops the partial one and says so")
    void truncatedStream() throws Exception {
        byte[] pcap = resource("lo-ethernet-s128.pcap");
        int total = LocalTraffic.tsharkCount(writeTemp(pcap), "");
        for (int cut : new int[] {10, 24 + 7, pcap.length / 2, pcap.length - 1}) {
            PcapStreamSink sink = sink(NO_LIMITS, new ArrayList<>());
            sink.consume(new ByteArrayInputStream(Arrays.copyOf(pcap, cut)));
            assertThat(sink.streamProblem()).as("cut at " + cut).contains("the stream ended inside");
            if (cut > 24) {
                Path file = sink.files().get(0);
                assertThat(LocalTraffic.tsharkCount(file, "")).isEqualTo((int) sink.packets());
                assertThat(sink.packets()).isLessThan(total);
                assertThat(Arrays.copyOf(pcap, (int) Files.size(file))).isEqualTo(Files.readAllBytes(file));
            }
        }
    }

    @Test
    @DisplayName("a corrupt record length stops the copy with a message; what came before is kept")
    void corruptRecord() throws Exception {
        byte[] pcap = resource("lo-ethernet-s128.pcap");
        // The second record's captured length (little endian) becomes 0x7fffffff.
        byte[] broken = pcap.clone();
        int secondRecord = 24 + 16 + readLe(pcap, 24 + 8);
        broken[secondRecord + 8] = (byte) 0xff;
        broken[secondRecord + 9] = (byte) 0xff;
        broken[secondRecord + 10] = (byte) 0xff;
        broken[secondRecord + 11] = (byte) 0x7f;
        PcapStreamSink sink = sink(NO_LIMITS, new ArrayList<>());
        sink.consume(new ByteArrayInputStream(broken));
        assertThat(sink.streamProblem()).contains("corrupt pcap stream: record length 2147483647 after 1 packets");
        assertThat(sink.packets()).isEqualTo(1);
        assertThat(LocalTraffic.tsharkCount(sink.files().get(0), "")).isEqualTo(1);
    }

    @Test
    @DisplayName("a stream that is not pcap at all is named as such")
    void notPcap() {
        PcapStreamSink sink = sink(NO_LIMITS, new ArrayList<>());
        sink.consume(new ByteArrayInputStream("sh: tcpdump: not found\nand more text here".getBytes()));
        assertThat(sink.streamProblem()).contains("not a pcap stream").contains("-w -");
        assertThat(sink.files()).isEmpty();
    }

    @Test
    @DisplayName("rotation splits at record boundaries into files that each start with the header")
    void rotation() throws Exception {
        byte[] pcap = resource("any-sll2-s128.pcap");
        List<String> reasons = new ArrayList<>();
        PcapStreamSink sink = sink(new CaptureLimits(Duration.ofMinutes(1), 0, 0, 1000), reasons);
        sink.consume(new ByteArrayInputStream(pcap));
        int total = 0;
        for (Path file : sink.files()) {
            assertThat(Files.size(file)).isLessThanOrEqualTo(1000);
            assertThat(Arrays.copyOf(Files.readAllBytes(file), 24)).isEqualTo(Arrays.copyOf(pcap, 24));
            total += LocalTraffic.tsharkCount(file, "");
        }
        assertThat(total).isEqualTo(LocalTraffic.tsharkCount(writeTemp(pcap), ""));
        assertThat(sink.files()).hasSizeGreaterThan(5);
        assertThat(reasons).isEmpty();
    }

    @Test
    @DisplayName("the packet limit calls back once and writes exactly that many packets")
    void packetLimit() throws Exception {
        List<String> reasons = new ArrayList<>();
        PcapStreamSink sink = sink(new CaptureLimits(Duration.ofMinutes(1), 0, 10, 0), reasons);
        sink.consume(new ByteArrayInputStream(resource("lo-ethernet-s128.pcap")));
        assertThat(reasons).containsExactly("packet limit of 10 packets per pod reached");
        assertThat(LocalTraffic.tsharkCount(sink.files().get(0), "")).isEqualTo(10);
    }

    private Path writeTemp(byte[] bytes) throws IOException {
        Path file = output.resolve("reference-" + System.nanoTime() + ".pcap");
        Files.write(file, bytes);
        return file;
    }

    /** A little-endian microsecond pcap record stamped {@code time}, with a few bytes of payload. */
    private static byte[] record(java.time.Instant time) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) time.getEpochSecond()).putInt(time.getNano() / 1000).putInt(4).putInt(4).putInt(0x2a2a2a2a);
        return b.array();
    }

    private static byte[] globalHeader() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        return b.array();
    }

    @Test
    @DisplayName("a slice ended while the stream was quiet still gets its last packet, delivered late and after a"
            + " stream latency that must not count as clock skew")
    void sliceWaitsForPacketsInFlight() throws Exception {
        java.io.PipedOutputStream feed = new java.io.PipedOutputStream();
        java.io.PipedInputStream in = new java.io.PipedInputStream(feed, 1 << 16);
        PcapStreamSink sink = sink(NO_LIMITS, new ArrayList<>());
        Thread reader = new Thread(() -> sink.consume(in));
        reader.start();
        try {
            feed.write(globalHeader());
            // The first packet arrives 20 ms after it was captured: delivery latency, not a clock difference.
            feed.write(record(java.time.Instant.now().minusMillis(20)));
            feed.flush();
            Thread.sleep(100);
            PcapStreamSink.SliceTap tap = sink.openSlice(output.resolve("slice.pcap"), java.time.Instant.now());
            Thread.sleep(300); // the stream is quiet for longer than the slice's quiet period
            java.time.Instant sent = java.time.Instant.now();
            Thread.sleep(5);
            java.time.Instant end = java.time.Instant.now();
            Thread late = new Thread(() -> {
                try {
                    Thread.sleep(60); // still in flight when the test ends
                    feed.write(record(sent));
                    feed.flush();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            late.start();
            sink.closeSlice(tap, end, 150, 2000);
            late.join();
            assertThat(tap.packets()).as("packets in the slice").isEqualTo(1);
        } finally {
            feed.close();
            reader.join(5000);
        }
    }

    private static int readLe(byte[] b, int offset) {
        return (b[offset] & 0xff) | (b[offset + 1] & 0xff) << 8 | (b[offset + 2] & 0xff) << 16
                | (b[offset + 3] & 0xff) << 24;
    }
}
