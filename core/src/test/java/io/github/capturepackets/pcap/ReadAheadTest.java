package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Reading ahead on a second thread delivers exactly what reading on the caller's thread does")
class ReadAheadTest {

    private static final int[] CHUNKS = {97, 4096, ReadAhead.DEFAULT_CHUNK};

    @TempDir(factory = TargetTempDir.class)
    Path dir;

    @Test
    @DisplayName("Every fixture, read in chunks down to one byte, gives the same packets, bytes and problems")
    void wholeFixtures() throws IOException {
        for (String name : Fixtures.ALL) {
            byte[] bytes = Fixtures.bytes(name);
            List<String> expected = read(bytes, 0, Integer.MAX_VALUE);
            assertThat(expected).hasSizeGreaterThan(10);
            for (int chunk : new int[] {1, 97, 4096, ReadAhead.DEFAULT_CHUNK}) {
                assertThat(read(bytes, chunk, Integer.MAX_VALUE)).as("%s in %d-byte chunks", name, chunk)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    @DisplayName("A capture cut anywhere, or with a corrupt record length, is reported the same, offsets included")
    void damagedCaptures() throws IOException {
        for (String name : Fixtures.ALL) {
            byte[] bytes = Fixtures.bytes(name);
            for (int cut = 1; cut < bytes.length; cut += 53) {
                byte[] truncated = Arrays.copyOf(bytes, cut);
                compare(name + " cut at " + cut, truncated);
            }
            for (int at = 40; at < bytes.length; at += 997) {
                byte[] corrupt = bytes.clone();
                corrupt[at] = (byte) 0xff;
                corrupt[at + 1] = (byte) 0x7f;
                compare(name + " with bytes at " + at + " overwritten", corrupt);
            }
        }
    }

    @Test
    @DisplayName("An I/O error while reading ahead ends the capture as incomplete with the error's message")
    void ioError() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.SLL2);
        for (int failAt : new int[] {100, 3000, bytes.length - 10}) {
            List<String> expected = read(bytes, 0, failAt);
            assertThat(expected.get(expected.size() - 1)).contains("disk on fire");
            for (int chunk : CHUNKS) {
                assertThat(read(bytes, chunk, failAt)).as("failing at %d, %d-byte chunks", failAt, chunk)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    @DisplayName("A capture file of 16 MB or more is read ahead by open(Path), with the same result")
    void largeFileReadAhead() throws IOException {
        byte[] one = Fixtures.bytes(Fixtures.SLL2);
        int records = one.length - 24;
        int copies = (int) (CaptureReader.READ_AHEAD_MIN_SIZE / records) + 1;
        byte[] big = new byte[24 + records * copies];
        System.arraycopy(one, 0, big, 0, one.length);
        for (int i = 1; i < copies; i++) {
            System.arraycopy(one, 24, big, 24 + records * i, records);
        }
        Path file = dir.resolve("big.pcap");
        Files.write(file, big);
        List<String> viaPath = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            Packet p;
            while ((p = reader.next()) != null) {
                viaPath.add(describe(p));
            }
            viaPath.add(ending(reader));
        }
        assertThat(viaPath).isEqualTo(read(big, 0, Integer.MAX_VALUE));
        List<String> viaHandler = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            reader.read(p -> viaHandler.add(describe(p)));
            viaHandler.add(ending(reader));
        }
        assertThat(viaHandler).isEqualTo(viaPath);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().contains("read-ahead: " + file));
    }

    @Test
    @DisplayName("A handler that stops early, or throws, ends the read; closing the reader ends the read-ahead thread")
    void handlerStopsOrFails() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.SLL2);
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(bytes), "stopped", 64 * 1024, 4096)) {
            long[] seen = {0};
            assertThat(reader.read(p -> ++seen[0] < 10)).isEqualTo(10);
            // Reading on resumes where the handler stopped.
            assertThat(reader.next().frameNumber()).isEqualTo(11);
        }
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(bytes), "failing", 64 * 1024, 4096)) {
            assertThatThrownBy(() -> reader.read(p -> {
                if (p.frameNumber() == 50) {
                    throw new IllegalStateException("handler bug");
                }
                return true;
            })).hasMessage("handler bug");
        }
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("capture-packets read-ahead: stopped")
                        || t.getName().equals("capture-packets read-ahead: failing"));
    }

    @Test
    @DisplayName("Reading ahead streams through an ignored pcapng block many read-ahead buffers long")
    void hugeSkippedBlock() {
        byte[] pcapng = Fixtures.bytes(Fixtures.MERGECAP);
        List<int[]> blocks = Fixtures.pcapngBlocks(pcapng);
        int at = blocks.get(blocks.size() / 2)[0];
        int skipped = 3 * 1024 * 1024;
        ByteBuffer custom = ByteBuffer.allocate(skipped).order(ByteOrder.LITTLE_ENDIAN);
        custom.putInt(0, 0x00000BAD).putInt(4, skipped).putInt(skipped - 4, skipped);
        byte[] bytes = new byte[pcapng.length + skipped];
        System.arraycopy(pcapng, 0, bytes, 0, at);
        System.arraycopy(custom.array(), 0, bytes, at, skipped);
        System.arraycopy(pcapng, at, bytes, at + skipped, pcapng.length - at);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            List<String> expected = read(bytes, 0, Integer.MAX_VALUE);
            assertThat(expected).hasSize((int) Fixtures.pcapngBlocks(pcapng).stream().filter(b -> b[1] == 6).count() + 1);
            assertThat(read(bytes, 4096, Integer.MAX_VALUE)).isEqualTo(expected);
        });
    }

    private void compare(String what, byte[] bytes) throws IOException {
        List<String> expected = read(bytes, 0, Integer.MAX_VALUE);
        for (int chunk : CHUNKS) {
            assertThat(read(bytes, chunk, Integer.MAX_VALUE)).as("%s, %d-byte chunks", what, chunk)
                    .isEqualTo(expected);
        }
    }

    /** Everything a reader delivers, one line per packet, then how it ended (or the open error). */
    private static List<String> read(byte[] bytes, int chunk, int failAt) throws IOException {
        List<String> out = new ArrayList<>();
        InputStream in = new Failing(new ByteArrayInputStream(bytes), failAt);
        CaptureReader reader;
        try {
            reader = CaptureReader.open(in, "capture", 64 * 1024, chunk);
        } catch (CaptureFormatException e) {
            out.add("fatal: " + e.getMessage());
            return out;
        }
        try (reader) {
            Packet p;
            while ((p = reader.next()) != null) {
                out.add(describe(p));
            }
            out.add(ending(reader));
        }
        return out;
    }

    private static String describe(Packet p) {
        byte[] data = Arrays.copyOfRange(p.data(), p.dataOffset(), p.dataOffset() + p.capturedLength());
        return p.frameNumber() + " " + p.timestampNanos() + " if" + p.interfaceId() + " " + p.linkType() + " "
                + p.capturedLength() + "/" + p.originalLength() + " " + p.decodeError() + " "
                + Packet.formatAddress(p.srcHi(), p.srcLo()) + ":" + p.srcPort() + " "
                + Packet.formatAddress(p.dstHi(), p.dstLo()) + ":" + p.dstPort() + " seq " + p.seq() + " data "
                + Arrays.hashCode(data) + " comment " + p.comment();
    }

    private static String ending(CaptureReader reader) {
        return "complete=" + reader.complete() + " position=" + reader.position() + " problems="
                + reader.problems();
    }

    /** Throws after {@code failAt} bytes, as a disk or a network stream can. */
    private static final class Failing extends FilterInputStream {
        private final int failAt;
        private int read;

        Failing(InputStream in, int failAt) {
            super(in);
            this.failAt = failAt;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read >= failAt) {
                throw new IOException("disk on fire");
            }
            int n = super.read(b, off, Math.min(len, failAt - read));
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }
}
