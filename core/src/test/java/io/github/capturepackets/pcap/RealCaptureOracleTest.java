package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Decoding real tcpdump captures agrees with tshark on every packet")
class RealCaptureOracleTest {

    @TempDir
    static Path dir;

    static LoopbackCaptures captures;

    @BeforeAll
    static void capture() throws Exception {
        Tools.assumeCanCapture();
        Tools.assumeTools("tshark", "editcap", "mergecap");
        captures = LoopbackCaptures.capture(dir);
    }

    @Test
    @DisplayName("Ethernet (tcpdump -i lo), microsecond pcap: every field equals tshark's")
    void ethernet() throws Exception {
        assertRealTraffic(captures.ethernet(), LinkType.ETHERNET, CaptureFormat.PCAP);
    }

    @Test
    @DisplayName("Ethernet, nanosecond pcap (--time-stamp-precision=nano): timestamps keep their nanoseconds")
    void ethernetNanos() throws Exception {
        assertRealTraffic(captures.ethernetNanos(), LinkType.ETHERNET, CaptureFormat.PCAP);
        byte[] magic = Files.readAllBytes(captures.ethernetNanos());
        assertThat(ByteBuffer.wrap(magic).order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(0xa1b23c4d);
    }

    @Test
    @DisplayName("LINUX_SLL2 (tcpdump -i any): every field equals tshark's, including the interface index")
    void sll2() throws Exception {
        assertRealTraffic(captures.sll2(), LinkType.LINUX_SLL2, CaptureFormat.PCAP);
    }

    @Test
    @DisplayName("LINUX_SLL (tcpdump -i any -y LINUX_SLL): every field equals tshark's")
    void sll() throws Exception {
        assertRealTraffic(captures.sll(), LinkType.LINUX_SLL, CaptureFormat.PCAP);
    }

    @Test
    @DisplayName("pcapng written by editcap from each capture: every field equals tshark's")
    void pcapngFromEditcap() throws Exception {
        for (Path pcap : List.of(captures.ethernet(), captures.ethernetNanos(), captures.sll2(), captures.sll())) {
            Path pcapng = dir.resolve(pcap.getFileName() + ".pcapng");
            Tools.run(List.of("editcap", "-F", "pcapng", pcap.toString(), pcapng.toString()));
            try (CaptureReader reader = CaptureReader.open(pcapng)) {
                assertThat(reader.format()).isEqualTo(CaptureFormat.PCAPNG);
            }
            assertThat(TsharkOracle.assertAgrees(pcapng)).isEqualTo(count(pcap));
        }
    }

    @Test
    @DisplayName("Big-endian pcap (the same records byte-swapped): every field equals tshark's")
    void bigEndian() throws Exception {
        Path swapped = dir.resolve("big-endian.pcap");
        Files.write(swapped, toBigEndian(Files.readAllBytes(captures.sll2())));
        assertThat(ByteBuffer.wrap(Files.readAllBytes(swapped)).getInt(0)).isEqualTo(0xa1b2c3d4);
        assertThat(TsharkOracle.assertAgrees(swapped)).isEqualTo(count(captures.sll2()));
    }

    @Test
    @DisplayName("mergecap of all four captures: one pcapng with four interfaces of three link types, read like tshark")
    void mergecapSeveralInterfaces() throws Exception {
        Path merged = dir.resolve("mergecap.pcapng");
        Tools.run(List.of("mergecap", "-w", merged.toString(), captures.ethernet().toString(),
                captures.ethernetNanos().toString(), captures.sll2().toString(), captures.sll().toString()));
        long packets = TsharkOracle.assertAgrees(merged);
        assertThat(packets).isEqualTo(count(captures.ethernet()) + count(captures.ethernetNanos())
                + count(captures.sll2()) + count(captures.sll()));
        List<String> theirIds = List.of(Tools.run(List.of("tshark", "-r", merged.toString(), "-T", "fields", "-e",
                "frame.interface_id")).split("\n"));
        List<String> ourIds = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(merged)) {
            reader.read(p -> ourIds.add(Integer.toString(p.interfaceId())));
            assertThat(reader.interfaces()).hasSize(4);
            assertThat(reader.linkTypes()).containsExactlyInAnyOrder(LinkType.ETHERNET, LinkType.LINUX_SLL2,
                    LinkType.LINUX_SLL);
            assertThat(reader.interfaces().get(1).timestampResolutionNanos()).isEqualTo(1.0);
            assertThat(reader.interfaces().get(0).timestampResolutionNanos()).isEqualTo(1000.0);
        }
        assertThat(ourIds).isEqualTo(theirIds);
    }

    private static long count(Path file) throws Exception {
        try (CaptureReader reader = CaptureReader.open(file)) {
            return reader.read(p -> true);
        }
    }

    /** Asserts tshark agreement and that the capture really holds the traffic the test generated. */
    private static void assertRealTraffic(Path file, LinkType linkType, CaptureFormat format) throws Exception {
        long packets = TsharkOracle.assertAgrees(file);
        Set<String> kinds = new java.util.TreeSet<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertThat(reader.format()).isEqualTo(format);
            assertThat(reader.linkTypes()).isEqualTo(EnumSet.of(linkType));
            reader.read(p -> {
                assertThat(p.linkType()).isEqualTo(linkType);
                if (p.isTcp()) {
                    kinds.add("tcp" + p.ipVersion());
                    if (p.hasFlags(Packet.RST)) {
                        kinds.add("rst" + p.ipVersion());
                    }
                    if (p.payloadLength() > 0) {
                        kinds.add("tcp-data" + p.ipVersion());
                    }
                } else if (p.isUdp()) {
                    kinds.add("udp" + p.ipVersion());
                } else if (p.isIcmp() && p.innerSrcPort() >= 0) {
                    kinds.add("icmp-unreachable" + p.ipVersion());
                }
                return true;
            });
            assertThat(reader.complete()).isTrue();
        }
        assertThat(packets).isGreaterThan(20);
        assertThat(kinds).contains("tcp4", "tcp6", "rst4", "rst6", "tcp-data4", "tcp-data6", "udp4", "udp6",
                "icmp-unreachable4", "icmp-unreachable6");
    }

    /** Rewrites a little-endian pcap in big-endian byte order (header and record headers). */
    static byte[] toBigEndian(byte[] little) {
        ByteBuffer in = ByteBuffer.wrap(little).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(little.length).order(ByteOrder.BIG_ENDIAN);
        assertThat(in.getInt(0)).isIn(0xa1b2c3d4, 0xa1b23c4d);
        out.putInt(in.getInt());
        out.putShort(in.getShort());
        out.putShort(in.getShort());
        for (int i = 0; i < 4; i++) {
            out.putInt(in.getInt());
        }
        while (in.remaining() >= 16) {
            out.putInt(in.getInt());
            out.putInt(in.getInt());
            int captured = in.getInt();
            out.putInt(captured);
            out.putInt(in.getInt());
            byte[] data = new byte[captured];
            in.get(data);
            out.put(data);
        }
        return out.array();
    }
}
