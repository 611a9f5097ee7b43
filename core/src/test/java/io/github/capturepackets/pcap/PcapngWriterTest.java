package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.analysis.AnalysisOptions;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Analyzer;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.testing.Needs;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("pcapng writer and merge: tshark and capinfos read back names, comments, bytes and timestamps unchanged")
class PcapngWriterTest {

    @TempDir(factory = TargetTempDir.class)
    Path dir;

    /** One packet as tshark reports it or as we read it: interface name, time, lengths, MD5 of the bytes, comment. */
    record Row(String iface, String time, long length, int captured, String md5, String comment) {}

    @Test
    @DisplayName("tshark reads a written file as it reads the inputs: same bytes, times and lengths, with the names "
            + "and packet comments given; capinfos shows the section comment, interfaces and statistics")
    void writtenFileReadByTsharkAndCapinfos() throws Exception {
        Needs.tools("tshark", "capinfos");
        Path out = dir.resolve("written.pcapng");
        writeSample(out, new ArrayList<>());
        // Expected from tshark reading the inputs, not from our reader: frame n of an input is commented when n is
        // a multiple of its step (copy() below).
        List<Row> expected = new ArrayList<>();
        expected.addAll(asWritten(readTshark(Fixtures.path(Fixtures.ETHERNET)), "default/web-0", Fixtures.ETHERNET, 3));
        expected.addAll(asWritten(readTshark(Fixtures.path(Fixtures.SLL2)), "default/db-0", Fixtures.SLL2, 5));
        assertThat(expected).as("packets in the inputs").hasSizeGreaterThan(100);

        assertThat(readTshark(out)).isEqualTo(expected);
        String info = Tools.run(List.of("capinfos", "-k", "-I", out.toString()));
        assertThat(info).contains("test: PcapngWriterTest#writeReadBack").contains("Name = default/web-0")
                .contains("Description = pod web-0 (eth0)").contains("Name = default/db-0")
                .contains("Number of stat entries = 1");
        assertThat(Tools.run(List.of("capinfos", "-M", "-c", out.toString())))
                .containsPattern("Number of packets:\\s+" + expected.size() + "\\s");
    }

    @Test
    @DisplayName("Round trip: our reader reads back the interfaces, packets, comments and statistics the writer wrote")
    void writeReadBack() throws Exception {
        Path out = dir.resolve("written.pcapng");
        List<Row> expected = new ArrayList<>();
        writeSample(out, expected);
        assertThat(readOurs(out)).isEqualTo(expected);
        try (CaptureReader reader = CaptureReader.open(out)) {
            reader.read(p -> true);
            assertThat(reader.sectionComments()).containsExactly("test: PcapngWriterTest#writeReadBack");
            assertThat(reader.interfaces()).extracting(CaptureInterface::name).containsExactly("default/web-0",
                    "default/db-0");
            assertThat(reader.interfaces().get(0).description()).isEqualTo("pod web-0 (eth0)");
            assertThat(reader.interfaces().get(0).comments()).containsExactly("captured by an ephemeral container");
            assertThat(reader.interfaces().get(1).timestampResolutionNanos()).isEqualTo(1.0);
            assertThat(reader.statistics()).singleElement().satisfies(s -> {
                assertThat(s.received()).isEqualTo(500);
                assertThat(s.osDropped()).isEqualTo(7);
                assertThat(s.filterAccepted()).isEqualTo(-1);
            });
        }
    }

    /** Two interfaces (Ethernet web-0 with a description and comment, SLL2 db-0), packets, comments, statistics. */
    private static void writeSample(Path out, List<Row> expected) throws Exception {
        try (PcapngWriter writer = PcapngWriter.create(out, List.of("test: PcapngWriterTest#writeReadBack"))) {
            int web = writer.addInterface(LinkType.ETHERNET.code(), 262_144, "default/web-0", "pod web-0 (eth0)",
                    List.of("captured by an ephemeral container"));
            int db = writer.addInterface(LinkType.LINUX_SLL2.code(), 262_144, "default/db-0", null, List.of());
            copy(Fixtures.ETHERNET, writer, web, "default/web-0", expected, 3);
            copy(Fixtures.SLL2, writer, db, "default/db-0", expected, 5);
            writer.writeStatistics(new InterfaceStatistics(web, 1_700_000_000_000_000_000L, 500, 3, -1, 7, 490), null);
            assertThat(writer.packetCount()).isEqualTo(expected.size());
        }
    }

    /** tshark's rows of an input as copy() writes them: under {@code name}, every {@code step}-th frame commented. */
    private static List<Row> asWritten(List<Row> input, String name, String fixture, int step) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < input.size(); i++) {
            Row r = input.get(i);
            long frame = i + 1;
            String comment = frame % step == 0 ? "packet " + frame + " of " + fixture + " ✓" : null;
            rows.add(new Row(name, r.time(), r.length(), r.captured(), r.md5(), comment));
        }
        return rows;
    }

    @Test
    @DisplayName("Round trip: our reader finds a merged file ordered by time, every byte kept, each interface named")
    void mergeOrdersByTime() throws Exception {
        List<MergeSource> sources = mergeSources();
        Path out = dir.resolve("merged.pcapng");
        MergeResult result = PcapngWriter.merge(sources, out, List.of("merged by a test"));
        assertThat(result.complete()).isTrue();
        assertThat(result.problems()).isEmpty();

        List<Row> inputs = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        for (MergeSource s : sources) {
            List<Row> rows = readOurs(s.file());
            counts.add((long) rows.size());
            for (Row r : rows) {
                inputs.add(r);
            }
        }
        assertThat(result.packetsPerSource()).isEqualTo(counts);
        assertThat(result.packets()).isEqualTo(inputs.size());

        List<Row> merged = readOurs(out);
        assertThat(merged).hasSameSizeAs(inputs);
        // Same packets (bytes, lengths, times), now in time order.
        assertThat(strip(merged)).containsExactlyInAnyOrderElementsOf(strip(inputs));
        List<String> times = merged.stream().map(Row::time).toList();
        assertThat(times).isSortedAccordingTo((a, b) -> new java.math.BigDecimal(a).compareTo(new java.math.BigDecimal(b)));
        // Each source's own packets keep their order.
        for (String name : List.of("ns/web-0", "ns/db-0", "ns/cache-0")) {
            assertThat(merged.stream().filter(r -> r.iface().equals(name)).map(Row::md5).toList())
                    .isEqualTo(readOurs(sources.get(List.of("ns/web-0", "ns/db-0", "ns/cache-0").indexOf(name)).file())
                            .stream().map(Row::md5).toList());
        }
        try (CaptureReader reader = CaptureReader.open(out)) {
            reader.read(p -> true);
            assertThat(reader.interfaces()).extracting(CaptureInterface::name).containsExactlyInAnyOrder("ns/web-0",
                    "ns/db-0", "ns/cache-0", "ns/multi/#0", "ns/multi/#1", "ns/multi/#2");
            assertThat(reader.linkTypes()).containsExactlyInAnyOrder(LinkType.ETHERNET, LinkType.LINUX_SLL2,
                    LinkType.LINUX_SLL);
            assertThat(reader.sectionComments()).containsExactly("merged by a test");
        }
    }

    @Test
    @DisplayName("tshark reads a merged file as it reads the inputs: every packet once, in time order, each source's "
            + "own order kept, every interface named")
    void mergeReadByTshark() throws Exception {
        Needs.tools("tshark", "capinfos");
        List<MergeSource> sources = mergeSources();
        Path out = dir.resolve("merged.pcapng");
        MergeResult result = PcapngWriter.merge(sources, out, List.of("merged by a test"));
        assertThat(result.complete()).isTrue();

        List<List<Row>> inputs = new ArrayList<>();
        for (MergeSource s : sources) {
            inputs.add(readTshark(s.file()));
        }
        assertThat(result.packetsPerSource()).isEqualTo(inputs.stream().map(rows -> (long) rows.size()).toList());
        List<Row> merged = readTshark(out);
        assertThat(strip(merged)).containsExactlyInAnyOrderElementsOf(strip(inputs.stream().flatMap(List::stream)
                .toList()));
        assertThat(merged.stream().map(Row::time).toList())
                .isSortedAccordingTo((a, b) -> new java.math.BigDecimal(a).compareTo(new java.math.BigDecimal(b)));
        for (int i = 0; i < 3; i++) {
            String name = sources.get(i).name();
            assertThat(merged.stream().filter(r -> r.iface().equals(name)).map(Row::md5).toList()).as(name)
                    .isEqualTo(inputs.get(i).stream().map(Row::md5).toList());
        }
        assertThat(merged.stream().map(Row::iface).distinct()).containsExactlyInAnyOrder("ns/web-0", "ns/db-0",
                "ns/cache-0", "ns/multi/#0", "ns/multi/#1", "ns/multi/#2");
        assertThat(Tools.run(List.of("capinfos", "-k", out.toString()))).contains("merged by a test");
    }

    private static List<MergeSource> mergeSources() {
        return List.of(
                new MergeSource(Fixtures.path(Fixtures.ETHERNET), "ns/web-0", "lo of web-0", List.of("first pod")),
                MergeSource.of(Fixtures.path(Fixtures.SLL2), "ns/db-0"),
                MergeSource.of(Fixtures.path(Fixtures.SLL), "ns/cache-0"),
                MergeSource.of(Fixtures.path(Fixtures.MERGECAP), "ns/multi"));
    }

    /** Merges a good input, an empty one and one cut inside its 31st record into {@code out}. */
    private MergeResult mergeBadInputs(Path out) throws Exception {
        Path empty = Files.write(dir.resolve("empty.pcap"), new byte[0]);
        byte[] full = Fixtures.bytes(Fixtures.SLL2);
        int cut = Fixtures.pcapRecordOffsets(full).get(30) + 20;
        Path truncated = Files.write(dir.resolve("truncated.pcap"), Arrays.copyOf(full, cut));
        return PcapngWriter.merge(List.of(MergeSource.of(Fixtures.path(Fixtures.ETHERNET), "ns/ok"),
                MergeSource.of(empty, "ns/empty"), MergeSource.of(truncated, "ns/cut")), out, List.of());
    }

    @Test
    @DisplayName("Merging keeps what can be read: an empty input and a truncated one are reported and noted in the file")
    void mergeWithBadInputs() throws Exception {
        Path out = dir.resolve("merged-bad.pcapng");
        MergeResult result = mergeBadInputs(out);
        assertThat(result.complete()).isFalse();
        assertThat(result.packetsPerSource()).containsExactly((long) readOurs(Fixtures.path(Fixtures.ETHERNET)).size(),
                0L, 30L);
        assertThat(result.problems()).extracting(CaptureProblem::kind).containsExactly(CaptureProblem.Kind.EMPTY,
                CaptureProblem.Kind.TRUNCATED);
        try (CaptureReader reader = CaptureReader.open(out)) {
            assertThat(reader.read(p -> true)).isEqualTo(result.packets());
            assertThat(reader.complete()).isTrue();
            assertThat(reader.sectionComments()).singleElement().asString().contains("ns/empty: not merged")
                    .contains("empty");
            assertThat(reader.statistics()).singleElement().satisfies(s ->
                    assertThat(reader.interfaces().get(s.interfaceId()).name()).isEqualTo("ns/cut"));
        }
    }

    @Test
    @DisplayName("tshark and capinfos read a merge with bad inputs: the good input's packets plus the truncated one's 30 "
            + "whole packets, and the note on the empty input")
    void mergeWithBadInputsReadByTshark() throws Exception {
        Needs.tools("tshark", "capinfos");
        Path out = dir.resolve("merged-bad.pcapng");
        MergeResult result = mergeBadInputs(out);
        int good = readTshark(Fixtures.path(Fixtures.ETHERNET)).size();
        assertThat(readTshark(out)).hasSize(good + 30);
        assertThat(result.packets()).isEqualTo(good + 30);
        assertThat(Tools.run(List.of("capinfos", "-k", "-c", out.toString()))).contains("ns/empty: not merged");
    }

    @Test
    @DisplayName("A source's known drops become isb_osdrop, read back by a decoder of its own and the analyzer")
    void mergeCarriesDrops() throws Exception {
        Needs.tools("capinfos", "tshark");
        Path out = dir.resolve("merged-drops.pcapng");
        MergeResult result = PcapngWriter.merge(List.of(
                MergeSource.of(Fixtures.path(Fixtures.ETHERNET), "ns/web-0").withDroppedPackets(346),
                MergeSource.of(Fixtures.path(Fixtures.SLL2), "ns/db-0").withDroppedPackets(0),
                MergeSource.of(Fixtures.path(Fixtures.SLL), "ns/cache-0")), out, List.of());
        assertThat(result.complete()).isTrue();

        // The blocks decoded here, apart from CaptureReader: one statistics block per source with known drops.
        byte[] bytes = Files.readAllBytes(out);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        Map<Integer, Long> osDrops = new TreeMap<>();
        for (int[] block : Fixtures.pcapngBlocks(bytes)) {
            if (block[1] != 5) {
                continue;
            }
            int start = block[0];
            int end = start + b.getInt(start + 4) - 4;
            for (int o = start + 20; o + 4 <= end && b.getShort(o) != 0; o += 4 + ((b.getShort(o + 2) + 3) & ~3)) {
                if (b.getShort(o) == 7) {
                    osDrops.put(b.getInt(start + 8), b.getLong(o + 4));
                }
            }
        }
        // Interfaces are numbered in order of first packet; which is which the analyzer's message shows below.
        assertThat(osDrops.values()).containsExactlyInAnyOrder(346L, 0L);

        AnalysisReport report = Analyzer.analyze(List.of(out), AnalysisOptions.defaults());
        assertThat(report.complete()).isFalse();
        assertThat(report.droppedPackets()).isEqualTo(346);
        assertThat(report.verdicts()).filteredOn(f -> f.rule() == Rule.CAPTURE_DROPPED).singleElement()
                .satisfies(f -> assertThat(f.message()).endsWith(
                        ": interface ns/web-0 of merged-drops.pcapng dropped 346 packets"));
        // tshark 4.0 shows no drop counter of a statistics block; capinfos at least counts the blocks as valid.
        String info = Tools.run(List.of("capinfos", "-I", out.toString()));
        assertThat(info.split("Number of stat entries = 1", -1)).hasSize(3);
        assertThat(readTshark(out)).hasSize((int) result.packets());
    }

    @Test
    @DisplayName("Misuse is refused with a message: packets on undeclared interfaces, writing after close")
    void misuse() throws Exception {
        PcapngWriter writer = PcapngWriter.create(new ByteArrayOutputStream(), List.of());
        assertThatThrownBy(() -> writer.writePacket(0, 0, new byte[1], 0, 1, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("addInterface");
        writer.close();
        assertThatThrownBy(() -> writer.addInterface(1, 0, "x", null, List.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> MergeSource.of(dir, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("namespace/pod");
    }

    private static List<Row> strip(List<Row> rows) {
        return rows.stream().map(r -> new Row("", r.time(), r.length(), r.captured(), r.md5(), null)).toList();
    }

    /** Copies a fixture's packets to the writer, commenting every n-th one, and records the expected rows. */
    private static void copy(String fixture, PcapngWriter writer, int iface, String name, List<Row> expected,
            int commentEvery) throws Exception {
        try (CaptureReader reader = CaptureReader.open(Fixtures.path(fixture))) {
            Packet p;
            while ((p = reader.next()) != null) {
                String comment = p.frameNumber() % commentEvery == 0 ? "packet " + p.frameNumber() + " of " + fixture
                        + " ✓" : null;
                writer.writePacket(iface, p, comment);
                expected.add(row(name, p, comment));
            }
        }
    }

    private static Row row(String iface, Packet p, String comment) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(p.data(), p.dataOffset(), p.capturedLength());
        return new Row(iface, TsharkOracle.epoch(p.timestampNanos()), p.originalLength(), p.capturedLength(),
                HexFormat.of().formatHex(md5.digest()), comment);
    }

    static List<Row> readOurs(Path file) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            Packet p;
            while ((p = reader.next()) != null) {
                String name = reader.captureInterface(p.interfaceId()).name();
                rows.add(row(name, p, p.comment()));
            }
        }
        return rows;
    }

    private static List<Row> readTshark(Path file) throws Exception {
        String out = Tools.run(List.of("tshark", "-r", file.toString(), "-o", "frame.generate_md5_hash:TRUE", "-T",
                "fields", "-E", "separator=/t", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e",
                "frame.len", "-e", "frame.cap_len", "-e", "frame.md5_hash", "-e", "frame.comment"));
        List<Row> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            rows.add(new Row(f[0], f[1], Long.parseLong(f[2]), Integer.parseInt(f[3]), f[4],
                    f[5].isEmpty() ? null : f[5]));
        }
        return rows;
    }
}
