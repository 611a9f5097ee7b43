package io.github.capturepackets.pcap;

import static io.github.capturepackets.pcap.Frames.bytes;
import static io.github.capturepackets.pcap.Frames.ethernet;
import static io.github.capturepackets.pcap.Frames.ipv4;
import static io.github.capturepackets.pcap.Frames.ipv6;
import static io.github.capturepackets.pcap.Frames.tcp;
import static io.github.capturepackets.pcap.Frames.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("pcapng: sections in both byte orders, several interfaces, resolutions, offsets, block types, comments")
class PcapngFeaturesTest {

    @TempDir(factory = TargetTempDir.class)
    Path dir;

    static final long SECONDS = 1_700_000_000L;

    /** Two sections (little- then big-endian), four interfaces, EPB/OPB/SPB/ISB/NRB/custom blocks, comments. */
    static byte[] twoSections() {
        byte[] ethTcp = ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", 6,
                tcp(40000, 80, 100, 200, Packet.ACK | Packet.PSH, 512, new byte[0], bytes(20))));
        byte[] rawUdp = ipv4("10.9.0.1", "10.9.0.2", 17, udp(5353, 53, bytes(30)));
        byte[] sll2 = Frames.concat(new byte[] {(byte) 0x86, (byte) 0xdd, 0, 0, 0, 0, 0, 7, 0, 1, 4, 6, 2, 0, 0, 0, 0,
                1, 0, 0}, ipv6("fd00::1", "fd00::2", 6, tcp(8080, 50000, 1, 2, Packet.SYN | Packet.ACK, 100,
                new byte[0], new byte[0])));
        SyntheticCaptures.Pcapng b = new SyntheticCaptures.Pcapng();
        b.section(ByteOrder.LITTLE_ENDIAN, "first section", "made by a test");
        b.idb(1, 65535, "eth0", null, null, "uplink");
        b.idb(101, 0, "tun0", 0x80 | 20, 100L);
        b.nrb();
        b.epb(0, SECONDS * 1_000_000 + 123_456, ethTcp, "packet one");
        b.epb(1, (SECONDS << 20) | (1 << 19), rawUdp, null);
        b.opb(0, SECONDS * 1_000_000 + 200_000, ethTcp);
        b.isb(0, SECONDS * 1_000_000 + 300_000, 10, 2);
        b.section(ByteOrder.BIG_ENDIAN, "second section");
        b.idb(276, 262144, "any", 9, null);
        b.idb(1, 0, null, 3, null);
        b.epb(0, SECONDS * 1_000_000_000 + 987_654_321, sll2, null);
        b.spb(sll2);
        b.epb(1, SECONDS * 1_000 + 5, ethTcp, "last");
        return b.bytes();
    }

    @Test
    @DisplayName("Interfaces, timestamps, link types, comments and statistics are read as written")
    void readsEverything() throws Exception {
        Path file = dir.resolve("two-sections.pcapng");
        Files.write(file, twoSections());
        List<Packet> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            reader.read(p -> packets.add(p.copy()));
            assertThat(reader.complete()).as("%s", reader.problems()).isTrue();
            assertThat(reader.problems()).isEmpty();
            assertThat(reader.format()).isEqualTo(CaptureFormat.PCAPNG);
            assertThat(reader.sectionComments()).containsExactly("first section", "made by a test", "second section");
            assertThat(reader.interfaces()).extracting(CaptureInterface::name).containsExactly("eth0", "tun0", "any",
                    null);
            assertThat(reader.interfaces()).extracting(CaptureInterface::linkType).containsExactly(LinkType.ETHERNET,
                    LinkType.RAW, LinkType.LINUX_SLL2, LinkType.ETHERNET);
            assertThat(reader.interfaces().get(0).comments()).containsExactly("uplink");
            assertThat(reader.interfaces().get(1).timestampOffsetSeconds()).isEqualTo(100);
            assertThat(reader.interfaces().get(3).timestampResolutionNanos()).isEqualTo(1_000_000.0);
            assertThat(reader.linkTypes()).containsExactlyInAnyOrder(LinkType.ETHERNET, LinkType.RAW,
                    LinkType.LINUX_SLL2);
            assertThat(reader.statistics()).singleElement().satisfies(s -> {
                assertThat(s.interfaceId()).isZero();
                assertThat(s.received()).isEqualTo(10);
                assertThat(s.dropped()).isEqualTo(2);
                assertThat(s.osDropped()).isEqualTo(-1);
                assertThat(s.timestampNanos()).isEqualTo(SECONDS * 1_000_000_000 + 300_000_000);
            });
        }
        assertThat(packets).extracting(Packet::interfaceId).containsExactly(0, 1, 0, 2, 2, 3);
        assertThat(packets).extracting(Packet::timestampNanos).containsExactly(
                SECONDS * 1_000_000_000 + 123_456_000,
                (SECONDS + 100) * 1_000_000_000 + 500_000_000,
                SECONDS * 1_000_000_000 + 200_000_000,
                SECONDS * 1_000_000_000 + 987_654_321,
                SECONDS * 1_000_000_000 + 987_654_321,
                SECONDS * 1_000_000_000 + 5_000_000);
        assertThat(packets).extracting(Packet::comment).containsExactly("packet one", null, null, null, null, "last");
        assertThat(packets.get(1).srcPort()).isEqualTo(5353);
        assertThat(packets.get(3).sllInterfaceIndex()).isEqualTo(7);
        assertThat(packets.get(4).hasFlags(Packet.SYN | Packet.ACK)).isTrue();
    }

    @Test
    @DisplayName("tshark reads the same two-section file as we do: fields of every packet, interfaces, comments")
    void tsharkReadsTheSame() throws Exception {
        Needs.tools("tshark");
        Path file = dir.resolve("two-sections.pcapng");
        Files.write(file, twoSections());
        assertThat(TsharkOracle.assertAgrees(file)).isEqualTo(6);
        String ids = Tools.run(List.of("tshark", "-r", file.toString(), "-T", "fields", "-e", "frame.interface_id",
                "-e", "frame.comment", "-E", "separator=|"));
        // tshark 4.0 restarts interface numbering in each section; ours is unique across the file.
        assertThat(ids.split("\n")).containsExactly("0|packet one", "1|", "0|", "0|", "0|", "1|last");
    }

    @Test
    @DisplayName("A 64-byte initial buffer reads the same file: blocks spanning refills, buffer grown for each")
    void tinyBuffer() throws Exception {
        byte[] bytes = twoSections();
        try (CaptureReader reader = CaptureReader.open(new java.io.ByteArrayInputStream(bytes), "small-buffer", 64)) {
            assertThat(reader.read(p -> true)).isEqualTo(6);
            assertThat(reader.complete()).isTrue();
        }
        assertThat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(0x0a0d0d0a);
    }
}
