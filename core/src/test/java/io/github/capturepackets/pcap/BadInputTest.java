package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Bad input gets a clear error naming file, offset and problem, and keeps the packets before it")
class BadInputTest {

    @TempDir(factory = TargetTempDir.class)
    Path dir;

    private static byte[] gzipped(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    @Test
    @DisplayName("An empty file is fatal at open: EMPTY, naming the file and offset 0")
    void emptyFile() throws IOException {
        Path file = write("empty.pcap", new byte[0]);
        assertThatThrownBy(() -> CaptureReader.open(file))
                .isInstanceOfSatisfying(CaptureFormatException.class, e -> {
                    assertThat(e.problem().kind()).isEqualTo(CaptureProblem.Kind.EMPTY);
                    assertThat(e.offset()).isZero();
                    assertThat(e.getMessage()).contains(file.toString()).contains("empty").contains("capture again");
                });
    }

    @Test
    @DisplayName("A text file is fatal at open: NOT_A_CAPTURE, saying what the bytes are and what to give instead")
    void notACapture() throws IOException {
        Path file = write("notes.txt", "this is not a capture\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CaptureReader.open(file))
                .isInstanceOfSatisfying(CaptureFormatException.class, e -> {
                    assertThat(e.problem().kind()).isEqualTo(CaptureProblem.Kind.NOT_A_CAPTURE);
                    assertThat(e.getMessage()).contains(file.toString()).contains("not a pcap or pcapng")
                            .contains("74686973").contains("tcpdump -w");
                });
    }

    @Test
    @DisplayName("A gzipped capture is refused with the hint to decompress it")
    void gzip() throws IOException {
        Path file = write("capture.pcap.gz", gzipped(Fixtures.bytes(Fixtures.ETHERNET)));
        assertThatThrownBy(() -> CaptureReader.open(file)).isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("gzip").hasMessageContaining("decompress");
    }

    @Test
    @DisplayName("probe, the command line's check before the work starts, finds what open finds in the file header")
    void probeAgreesWithOpen() throws IOException {
        List<Path> bad = List.of(write("empty.pcap", new byte[0]),
                write("notes.txt", "this is not a capture\n".getBytes(StandardCharsets.UTF_8)),
                write("capture.pcap.gz", gzipped(Fixtures.bytes(Fixtures.ETHERNET))),
                write("short.pcap", Arrays.copyOf(Fixtures.bytes(Fixtures.ETHERNET), 10)));
        for (Path file : bad) {
            CaptureFormatException byOpen = catchThrowableOfType(CaptureFormatException.class,
                    () -> CaptureReader.open(file).close());
            assertThatThrownBy(() -> CaptureReader.probe(file)).as(file.toString())
                    .isInstanceOfSatisfying(CaptureFormatException.class, e -> {
                        assertThat(e.problem()).isEqualTo(byOpen.problem());
                        assertThat(e.getMessage()).isEqualTo(byOpen.getMessage());
                    });
        }
        for (String name : Fixtures.ALL) {
            try (CaptureReader reader = CaptureReader.open(Fixtures.path(name))) {
                assertThat(CaptureReader.probe(Fixtures.path(name))).as(name).isEqualTo(reader.format());
            }
        }
        // A section header longer than probe's first read: the buffer grows for it.
        String longComment = "x".repeat(3 * CaptureReader.PROBE_BUFFER);
        Path pcapng = write("long-header.pcapng",
                new SyntheticCaptures.Pcapng().section(ByteOrder.LITTLE_ENDIAN, longComment).bytes());
        assertThat(CaptureReader.probe(pcapng)).isEqualTo(CaptureFormat.PCAPNG);
        try (CaptureReader reader = CaptureReader.open(pcapng)) {
            assertThat(reader.sectionComments()).containsExactly(longComment);
        }
    }

    @Test
    @DisplayName("A pcap whose file header is cut off is fatal: TRUNCATED")
    void truncatedFileHeader() throws IOException {
        Path file = write("short.pcap", Arrays.copyOf(Fixtures.bytes(Fixtures.ETHERNET), 10));
        assertThatThrownBy(() -> CaptureReader.open(file))
                .isInstanceOfSatisfying(CaptureFormatException.class, e -> {
                    assertThat(e.problem().kind()).isEqualTo(CaptureProblem.Kind.TRUNCATED);
                    assertThat(e.getMessage()).contains("short.pcap").contains("10 of 24 bytes");
                });
    }

    @Test
    @DisplayName("A pcap cut inside packet data: the packets before are delivered, the capture is incomplete")
    void truncatedInsideRecord() throws IOException {
        byte[] full = Fixtures.bytes(Fixtures.ETHERNET);
        List<Integer> records = Fixtures.pcapRecordOffsets(full);
        int cutRecord = 40;
        int recordOffset = records.get(cutRecord);
        Path file = write("cut.pcap", Arrays.copyOf(full, recordOffset + 16 + 5));
        try (CaptureReader reader = CaptureReader.open(file)) {
            long[] lastFrame = {0};
            long delivered = reader.read(p -> {
                lastFrame[0] = p.frameNumber();
                return true;
            });
            assertThat(delivered).isEqualTo(cutRecord);
            assertThat(lastFrame[0]).isEqualTo(cutRecord);
            assertThat(reader.complete()).isFalse();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.TRUNCATED);
                assertThat(problem.offset()).isEqualTo(recordOffset);
                assertThat(problem.message()).contains(file.toString()).contains("at byte " + recordOffset)
                        .contains("packet record " + (cutRecord + 1)).contains("cut off");
            });
        }
    }

    @Test
    @DisplayName("A pcap cut inside a record header: the packets before are delivered, the capture is incomplete")
    void truncatedInsideRecordHeader() throws IOException {
        byte[] full = Fixtures.bytes(Fixtures.SLL2);
        int recordOffset = Fixtures.pcapRecordOffsets(full).get(10);
        Path file = write("cut-header.pcap", Arrays.copyOf(full, recordOffset + 7));
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertThat(reader.read(p -> true)).isEqualTo(10);
            assertThat(reader.complete()).isFalse();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.TRUNCATED);
                assertThat(problem.offset()).isEqualTo(recordOffset);
                assertThat(problem.detail()).contains("7 of 16 bytes");
            });
        }
    }

    @Test
    @DisplayName("A corrupt record length mid-file stops reading there: packets before delivered, CORRUPT at its offset")
    void corruptRecordLength() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.SLL);
        int recordOffset = Fixtures.pcapRecordOffsets(bytes).get(30);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(recordOffset + 8, 0x7fff_fff0);
        Path file = write("corrupt.pcap", bytes);
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertThat(reader.read(p -> true)).isEqualTo(30);
            assertThat(reader.complete()).isFalse();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.CORRUPT);
                assertThat(problem.offset()).isEqualTo(recordOffset + 8);
                assertThat(problem.message()).contains("corrupt.pcap at byte " + (recordOffset + 8))
                        .contains("2147483632 captured bytes").contains("editcap");
            });
        }
    }

    @Test
    @DisplayName("An unknown link type is not fatal: packets are delivered undecoded and the problem is listed once")
    void unknownLinkType() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.ETHERNET);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 147);
        Path file = write("user0.pcap", bytes);
        try (CaptureReader reader = CaptureReader.open(file)) {
            long delivered = reader.read(p -> {
                assertThat(p.linkType()).isEqualTo(LinkType.UNKNOWN);
                assertThat(p.linkTypeCode()).isEqualTo(147);
                assertThat(p.decodeError()).isEqualTo(DecodeError.UNSUPPORTED_LINK_TYPE);
                assertThat(p.ipVersion()).isZero();
                assertThat(p.capturedLength()).isPositive();
                return true;
            });
            assertThat(delivered).isEqualTo(Fixtures.pcapRecordOffsets(bytes).size());
            assertThat(reader.linkTypes()).containsExactly(LinkType.UNKNOWN);
            assertThat(reader.complete()).isTrue();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.UNSUPPORTED_LINK_TYPE);
                assertThat(problem.offset()).isEqualTo(20);
                assertThat(problem.message()).contains("user0.pcap at byte 20").contains("link type 147");
                assertThat(problem.losesPackets()).isFalse();
            });
        }
    }

    @Test
    @DisplayName("pcapng: a block length that is not a multiple of 4 stops reading there, packets before delivered")
    void pcapngCorruptBlockLength() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.MERGECAP);
        List<int[]> epbs = Fixtures.pcapngBlocks(bytes).stream().filter(b -> b[1] == 6).toList();
        int blockOffset = epbs.get(50)[0];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(blockOffset + 4, 1001);
        Path file = write("corrupt.pcapng", bytes);
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertThat(reader.read(p -> true)).isEqualTo(50);
            assertThat(reader.complete()).isFalse();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.CORRUPT);
                assertThat(problem.offset()).isEqualTo(blockOffset + 4);
                assertThat(problem.detail()).contains("impossible length 1001");
            });
        }
    }

    @Test
    @DisplayName("pcapng: a huge block length is refused without allocating it")
    void pcapngHugeBlockLength() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.MERGECAP);
        int blockOffset = Fixtures.pcapngBlocks(bytes).stream().filter(b -> b[1] == 6).toList().get(7)[0];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(blockOffset + 4, 0x7fff_fff0);
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(bytes), "huge", 4096)) {
            assertThat(reader.read(p -> true)).isEqualTo(7);
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.CORRUPT);
                assertThat(problem.detail()).contains("2147483632").contains("maximum");
            });
        }
    }

    @Test
    @DisplayName("pcapng: a block whose trailing length differs from its leading length is CORRUPT")
    void pcapngTrailerMismatch() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.MERGECAP);
        int[] block = Fixtures.pcapngBlocks(bytes).stream().filter(b -> b[1] == 6).toList().get(3);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int length = b.getInt(block[0] + 4);
        b.putInt(block[0] + length - 4, length + 4);
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(bytes), "trailer.pcapng")) {
            assertThat(reader.read(p -> true)).isEqualTo(3);
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.CORRUPT);
                assertThat(problem.offset()).isEqualTo(block[0] + length - 4);
                assertThat(problem.detail()).contains("ends with a different length");
            });
        }
    }

    @Test
    @DisplayName("pcapng: a packet on an interface the section never described is CORRUPT")
    void pcapngUndeclaredInterface() throws IOException {
        byte[] bytes = Fixtures.bytes(Fixtures.MERGECAP);
        int blockOffset = Fixtures.pcapngBlocks(bytes).stream().filter(b -> b[1] == 6).toList().get(5)[0];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(blockOffset + 8, 9);
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(bytes), "ifaces.pcapng")) {
            assertThat(reader.read(p -> true)).isEqualTo(5);
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.CORRUPT);
                assertThat(problem.offset()).isEqualTo(blockOffset + 8);
                assertThat(problem.detail()).contains("interface 9").contains("only 3");
            });
        }
    }

    @Test
    @DisplayName("pcapng cut mid-block: packets before delivered, TRUNCATED at the block's offset")
    void pcapngTruncated() throws IOException {
        byte[] full = Fixtures.bytes(Fixtures.MERGECAP);
        int blockOffset = Fixtures.pcapngBlocks(full).stream().filter(b -> b[1] == 6).toList().get(100)[0];
        try (CaptureReader reader = CaptureReader.open(
                new ByteArrayInputStream(Arrays.copyOf(full, blockOffset + 40)), "cut.pcapng")) {
            assertThat(reader.read(p -> true)).isEqualTo(100);
            assertThat(reader.complete()).isFalse();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.TRUNCATED);
                assertThat(problem.offset()).isEqualTo(blockOffset);
                assertThat(problem.message()).startsWith("cut.pcapng at byte " + blockOffset);
            });
        }
    }

    @Test
    @DisplayName("A stream that fails mid-way keeps the packets before and reports IO_ERROR with the offset")
    void streamFailure() throws IOException {
        byte[] full = Fixtures.bytes(Fixtures.ETHERNET);
        int failAt = Fixtures.pcapRecordOffsets(full).get(20);
        InputStream failing = new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position >= failAt) {
                    throw new IOException("connection reset by the Kubernetes API server");
                }
                int n = Math.min(len, failAt - position);
                System.arraycopy(full, position, b, off, n);
                position += n;
                return n;
            }
        };
        try (CaptureReader reader = CaptureReader.open(failing, "default/web-0", 4096)) {
            assertThat(reader.read(p -> true)).isEqualTo(20);
            assertThat(reader.complete()).isFalse();
            assertThat(reader.problems()).singleElement().satisfies(problem -> {
                assertThat(problem.kind()).isEqualTo(CaptureProblem.Kind.IO_ERROR);
                assertThat(problem.offset()).isEqualTo(failAt);
                assertThat(problem.message()).contains("default/web-0").contains("connection reset");
            });
        }
    }

    @Test
    @DisplayName("The handler can stop early; reading resumes where it stopped and the capture stays complete")
    void stopEarlyAndResume() throws IOException {
        try (CaptureReader reader = CaptureReader.open(Fixtures.path(Fixtures.SLL2))) {
            long[] seen = {0};
            assertThat(reader.read(p -> ++seen[0] < 5)).isEqualTo(5);
            assertThat(reader.finished()).isFalse();
            long rest = reader.read(p -> {
                assertThat(p.frameNumber()).isEqualTo(++seen[0]);
                return true;
            });
            assertThat(5 + rest).isEqualTo(Fixtures.pcapRecordOffsets(Fixtures.bytes(Fixtures.SLL2)).size());
            assertThat(reader.complete()).isTrue();
            assertThat(reader.problems()).isEmpty();
        }
    }

    @Test
    @DisplayName("Packets larger than the read buffer are read whole (the buffer grows to fit one valid record)")
    void recordLargerThanBuffer() throws IOException {
        Path big = SyntheticCaptures.bigPackets(dir.resolve("big.pcap"), 5, 200_000);
        try (CaptureReader reader = CaptureReader.open(Files.newInputStream(big), "big", 4096)) {
            long n = reader.read(p -> {
                assertThat(p.capturedLength()).isEqualTo(200_000);
                assertThat(p.byteAt(199_999)).isEqualTo((int) (p.frameNumber() & 0xff));
                return true;
            });
            assertThat(n).isEqualTo(5);
            assertThat(reader.complete()).isTrue();
        }
    }
}
