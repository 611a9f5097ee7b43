package io.github.capturepackets.pcap;

import static io.github.capturepackets.pcap.Frames.ah;
import static io.github.capturepackets.pcap.Frames.bytes;
import static io.github.capturepackets.pcap.Frames.ethernet;
import static io.github.capturepackets.pcap.Frames.ext8;
import static io.github.capturepackets.pcap.Frames.family;
import static io.github.capturepackets.pcap.Frames.fragment6;
import static io.github.capturepackets.pcap.Frames.icmp;
import static io.github.capturepackets.pcap.Frames.ipv4;
import static io.github.capturepackets.pcap.Frames.ipv6;
import static io.github.capturepackets.pcap.Frames.routing;
import static io.github.capturepackets.pcap.Frames.tcp;
import static io.github.capturepackets.pcap.Frames.udp;
import static io.github.capturepackets.pcap.Frames.vlan;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Crafted packets (VLANs, IPv6 extension headers, fragments, options, loopback and raw link types)")
class CraftedPacketsTest {

    private static final int TCP = 6;
    private static final int UDP = 17;

    @TempDir(factory = TargetTempDir.class)
    Path dir;

    static List<byte[]> ethernetFrames() {
        List<byte[]> f = new ArrayList<>();
        // 1: SYN with MSS, SACK permitted, timestamps, window scale.
        f.add(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", TCP,
                tcp(40000, 80, 0xfffffff0L, 0, Packet.SYN, 64240, Frames.synOptions(), new byte[0]))));
        // 2: 802.1Q, ACK with two SACK blocks and 100 bytes of data.
        f.add(ethernet(0x8100, vlan(42, 0x0800, ipv4("10.0.0.2", "10.0.0.1", TCP,
                tcp(80, 40000, 4_000_000_000L, 0xfffffff1L, Packet.ACK | Packet.PSH, 501,
                        Frames.sackOptions(1000, 2000, 3000, 4000), bytes(100))))));
        // 3: 802.1ad + 802.1Q (QinQ) carrying IPv6/TCP.
        f.add(ethernet(0x88a8, vlan(100, 0x8100, vlan(200, 0x86dd,
                ipv6("fd00::1", "fd00::2", TCP, tcp(1234, 443, 7, 9, Packet.ACK, 1000, new byte[0], bytes(10)))))));
        // 4: IPv6 with hop-by-hop, destination options and routing headers before TCP.
        f.add(ethernet(0x86dd, ipv6("2001:db8::1", "2001:db8::2", 0, ext8(60, ext8(43, routing(TCP,
                tcp(5000, 6000, 1, 2, Packet.ACK | Packet.FIN, 77, new byte[0], bytes(3))))))));
        // 5: IPv6 first fragment (more fragments) with a UDP header.
        f.add(ethernet(0x86dd, ipv6("2001:db8::1", "2001:db8::2", 44, fragment6(UDP, 0, true, 0xabcdef,
                udp(53, 5353, bytes(64))))));
        // 6: IPv6 later fragment: no transport header.
        f.add(ethernet(0x86dd, ipv6("2001:db8::1", "2001:db8::2", 44, fragment6(UDP, 1448, false, 0xabcdef,
                bytes(40)))));
        // 7: IPv4 first fragment (MF) with UDP; 8: IPv4 fragment at offset 1480.
        f.add(ethernet(0x0800, ipv4("10.1.0.1", "10.1.0.2", UDP, 0x4321, 0x2000, new byte[0],
                udp(1000, 53, bytes(40)))));
        f.add(ethernet(0x0800, ipv4("10.1.0.1", "10.1.0.2", UDP, 0x4321, 185, new byte[0], bytes(40))));
        // 9: IPv4 with 4 bytes of options (IHL 6) carrying UDP.
        f.add(ethernet(0x0800, ipv4("192.168.1.1", "192.168.1.2", UDP, 7, 0, new byte[] {1, 1, 1, 0},
                udp(9999, 53, bytes(12)))));
        // 10: ICMP port unreachable quoting IPv4/UDP.
        f.add(ethernet(0x0800, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(3, 3,
                ipv4("10.0.0.1", "10.0.0.2", UDP, udp(33333, 161, bytes(4)))))));
        // 11: ICMPv6 destination unreachable quoting IPv6/TCP.
        f.add(ethernet(0x86dd, ipv6("fd00::2", "fd00::1", 58, icmp(1, 4,
                ipv6("fd00::1", "fd00::2", TCP, tcp(44444, 8443, 1, 0, Packet.SYN, 100, new byte[0], new byte[0]))))));
        // 12: IPv6 with an authentication header before TCP.
        f.add(ethernet(0x86dd, ipv6("2001:db8::5", "2001:db8::6", 51, ah(TCP,
                tcp(22, 50000, 10, 20, Packet.ACK | Packet.RST, 0, new byte[0], new byte[0])))));
        // 13: ARP (not IP, not an error).
        f.add(ethernet(0x0806, bytes(28)));
        // 14: minimum-size frame with Ethernet padding after a bare ACK: tcp.len must be 0, not the padding.
        f.add(Frames.concat(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", TCP,
                tcp(40000, 80, 5, 6, Packet.ACK, 100, new byte[0], new byte[0]))), new byte[6]));
        // 15: TCP with ECE/CWR/URG flags.
        f.add(ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", TCP,
                tcp(1, 2, 3, 4, Packet.ECE | Packet.CWR | Packet.URG | Packet.ACK, 5, new byte[0], bytes(1)))));
        // 16: IPv4 total length 0 (TSO): the captured length stands in, as in tshark.
        byte[] tso = ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", TCP,
                tcp(1000, 80, 1, 2, Packet.ACK | Packet.PSH, 100, new byte[0], bytes(50))));
        tso[14 + 2] = 0;
        tso[14 + 3] = 0;
        f.add(tso);
        return f;
    }

    @Test
    @DisplayName("Ethernet frames decode to the expected fields")
    void ethernetFramesDecode() throws Exception {
        Path file = dir.resolve("crafted-ethernet.pcap");
        Files.write(file, SyntheticCaptures.pcap(1, ethernetFrames()));
        List<Packet> packets = readAll(file);
        assertThat(packets).hasSize(16);

        Packet syn = packets.get(0);
        assertThat(syn.ipVersion()).isEqualTo(4);
        assertThat(syn.srcAddressText()).isEqualTo("10.0.0.1");
        assertThat(syn.srcLo()).isEqualTo(0x0000ffff_0a000001L);
        assertThat(syn.seq()).isEqualTo(0xfffffff0L);
        assertThat(syn.tcpFlags()).isEqualTo(Packet.SYN);
        assertThat(syn.mss()).isEqualTo(1460);
        assertThat(syn.windowScale()).isEqualTo(7);
        assertThat(syn.sackPermitted()).isTrue();
        assertThat(syn.hasTimestampOption()).isTrue();
        assertThat(syn.tsVal()).isEqualTo(1);
        assertThat(syn.tsEcr()).isEqualTo(2);
        assertThat(syn.tcpHeaderLength()).isEqualTo(40);

        Packet sack = packets.get(1);
        assertThat(sack.vlanCount()).isEqualTo(1);
        assertThat(sack.outerVlanId()).isEqualTo(42);
        assertThat(sack.seq()).isEqualTo(4_000_000_000L);
        assertThat(sack.ack()).isEqualTo(0xfffffff1L);
        assertThat(sack.sackBlockCount()).isEqualTo(2);
        assertThat(sack.sackLeftEdge(1)).isEqualTo(3000);
        assertThat(sack.sackRightEdge(1)).isEqualTo(4000);
        assertThat(sack.payloadLength()).isEqualTo(100);
        assertThat(sack.payloadIndex()).isEqualTo(sack.dataOffset() + 14 + 4 + 20 + 40);
        assertThat(sack.data()[sack.payloadIndex() + 99]).isEqualTo(Frames.bytes(100)[99]);
        assertThat(sack.windowScale()).isEqualTo(-1);

        Packet qinq = packets.get(2);
        assertThat(qinq.vlanCount()).isEqualTo(2);
        assertThat(qinq.outerVlanId()).isEqualTo(100);
        assertThat(qinq.ipVersion()).isEqualTo(6);
        assertThat(qinq.srcAddressText()).isEqualTo("fd00::1");
        assertThat(qinq.dstPort()).isEqualTo(443);
        assertThat(qinq.payloadLength()).isEqualTo(10);

        Packet extensions = packets.get(3);
        assertThat(extensions.ipProtocol()).isEqualTo(TCP);
        assertThat(extensions.ipHeaderLength()).isEqualTo(64);
        assertThat(extensions.srcPort()).isEqualTo(5000);
        assertThat(extensions.payloadLength()).isEqualTo(3);
        assertThat(extensions.hasFlags(Packet.FIN | Packet.ACK)).isTrue();

        Packet firstFragment6 = packets.get(4);
        assertThat(firstFragment6.isFragment()).isTrue();
        assertThat(firstFragment6.moreFragments()).isTrue();
        assertThat(firstFragment6.fragmentOffset()).isZero();
        assertThat(firstFragment6.ipId()).isEqualTo(0xabcdef);
        assertThat(firstFragment6.isUdp()).isTrue();
        assertThat(firstFragment6.dstPort()).isEqualTo(5353);

        Packet laterFragment6 = packets.get(5);
        assertThat(laterFragment6.fragmentOffset()).isEqualTo(1448);
        assertThat(laterFragment6.ipProtocol()).isEqualTo(UDP);
        assertThat(laterFragment6.isUdp()).isFalse();
        assertThat(laterFragment6.srcPort()).isEqualTo(-1);
        assertThat(laterFragment6.decodeError()).isEqualTo(DecodeError.NONE);

        assertThat(packets.get(6).isFragment()).isTrue();
        assertThat(packets.get(6).isUdp()).isTrue();
        assertThat(packets.get(7).fragmentOffset()).isEqualTo(1480);
        assertThat(packets.get(7).isUdp()).isFalse();

        assertThat(packets.get(8).ipHeaderLength()).isEqualTo(24);
        assertThat(packets.get(8).srcPort()).isEqualTo(9999);

        Packet icmp = packets.get(9);
        assertThat(icmp.icmpType()).isEqualTo(3);
        assertThat(icmp.icmpCode()).isEqualTo(3);
        assertThat(icmp.innerIpVersion()).isEqualTo(4);
        assertThat(icmp.innerIpProtocol()).isEqualTo(UDP);
        assertThat(icmp.innerSrcPort()).isEqualTo(33333);
        assertThat(icmp.innerDstPort()).isEqualTo(161);
        assertThat(Packet.formatAddress(icmp.innerDstHi(), icmp.innerDstLo())).isEqualTo("10.0.0.2");
        assertThat(icmp.srcPort()).isEqualTo(-1);

        Packet icmp6 = packets.get(10);
        assertThat(icmp6.icmpType()).isEqualTo(1);
        assertThat(icmp6.icmpCode()).isEqualTo(4);
        assertThat(icmp6.innerIpProtocol()).isEqualTo(TCP);
        assertThat(icmp6.innerDstPort()).isEqualTo(8443);

        assertThat(packets.get(11).ipProtocol()).isEqualTo(TCP);
        assertThat(packets.get(11).hasFlags(Packet.RST)).isTrue();

        Packet arp = packets.get(12);
        assertThat(arp.etherType()).isEqualTo(0x0806);
        assertThat(arp.ipVersion()).isZero();
        assertThat(arp.decodeError()).isEqualTo(DecodeError.NONE);

        assertThat(packets.get(13).capturedLength()).isEqualTo(60);
        assertThat(packets.get(13).payloadLength()).isZero();
        assertThat(packets.get(14).tcpFlags()).isEqualTo(Packet.ECE | Packet.CWR | Packet.URG | Packet.ACK);
        assertThat(packets.get(15).ipTotalLength()).isEqualTo(90);
        assertThat(packets.get(15).payloadLength()).isEqualTo(50);
    }

    @Test
    @DisplayName("tshark decodes the crafted Ethernet frames as we do, field by field")
    void ethernetFramesDecodeLikeTshark() throws Exception {
        Needs.tools("tshark");
        Path file = dir.resolve("crafted-ethernet.pcap");
        Files.write(file, SyntheticCaptures.pcap(1, ethernetFrames()));
        assertThat(TsharkOracle.assertAgrees(file)).isEqualTo(16);
    }

    @Test
    @DisplayName("NULL (both byte orders, BSD IPv6 families), LOOP, RAW, IPV4 and IPV6 link types decode")
    void loopbackAndRawLinkTypes() throws Exception {
        for (Object[] c : linkTypeCases()) {
            int linkType = (Integer) c[0];
            @SuppressWarnings("unchecked")
            List<byte[]> frames = (List<byte[]>) c[1];
            Path file = dir.resolve("link-" + linkType + ".pcap");
            Files.write(file, SyntheticCaptures.pcap(linkType, frames));
            List<Packet> packets = readAll(file);
            assertThat(packets).as("link type %d", linkType).hasSize(frames.size());
            for (Packet p : packets) {
                assertThat(p.linkType().code()).isEqualTo(linkType);
                assertThat(p.decodeError()).as("link type %d %s", linkType, p).isEqualTo(DecodeError.NONE);
                assertThat(p.ipVersion()).isIn(4, 6);
                assertThat(p.srcPort()).isIn(1, 3);
                assertThat(p.payloadLength()).isIn(5, 2);
            }
        }
    }

    @Test
    @DisplayName("tshark decodes the NULL, LOOP, RAW, IPV4 and IPV6 link type captures as we do")
    void loopbackAndRawLinkTypesDecodeLikeTshark() throws Exception {
        Needs.tools("tshark");
        for (Object[] c : linkTypeCases()) {
            int linkType = (Integer) c[0];
            @SuppressWarnings("unchecked")
            List<byte[]> frames = (List<byte[]>) c[1];
            Path file = dir.resolve("link-" + linkType + ".pcap");
            Files.write(file, SyntheticCaptures.pcap(linkType, frames));
            assertThat(TsharkOracle.assertAgrees(file)).as("frames tshark compared for link type %d", linkType)
                    .isEqualTo(frames.size());
        }
    }

    /** {link type, frames} pairs: IPv4/UDP and IPv6/TCP behind each loopback and raw link-layer header. */
    private static List<Object[]> linkTypeCases() {
        byte[] v4 = ipv4("127.0.0.1", "127.0.0.2", UDP, udp(1, 2, bytes(5)));
        byte[] v6 = ipv6("::1", "::2", TCP, tcp(3, 4, 5, 6, Packet.ACK, 7, new byte[0], bytes(2)));
        return List.of(
                new Object[] {0, List.of(family(2, false, v4), family(24, false, v6), family(28, true, v6),
                        family(30, false, v6), family(2, true, v4))},
                new Object[] {108, List.of(family(2, true, v4), family(24, true, v6))},
                new Object[] {101, List.of(v4, v6)},
                new Object[] {228, List.of(v4)},
                new Object[] {229, List.of(v6)});
    }

    @Test
    @DisplayName("Damaged headers never throw: the packet is marked at the damaged layer and upper fields stay unset")
    void damagedHeaders() throws IOException {
        byte[] goodTcp = ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", TCP,
                tcp(40000, 80, 1, 2, Packet.ACK, 100, new byte[0], bytes(10))));
        byte[] badDataOffset = goodTcp.clone();
        badDataOffset[14 + 20 + 12] = 0x30; // TCP data offset 3 (< 5)
        byte[] badIhl = goodTcp.clone();
        badIhl[14] = 0x44; // IHL 4 (< 5)
        byte[] badVersion = goodTcp.clone();
        badVersion[14] = 0x55;
        byte[] totalBelowHeader = goodTcp.clone();
        totalBelowHeader[14 + 2] = 0;
        totalBelowHeader[14 + 3] = 10;
        List<byte[]> frames = List.of(
                Arrays.copyOf(goodTcp, 10), // cut inside Ethernet
                Arrays.copyOf(goodTcp, 14 + 12), // cut inside IPv4
                Arrays.copyOf(goodTcp, 14 + 20 + 8), // cut inside TCP
                badDataOffset, badIhl, badVersion, totalBelowHeader,
                ethernet(0x8100, new byte[2]), // VLAN tag cut
                ethernet(0x86dd, Arrays.copyOf(ipv6("::1", "::2", 0, ext8(TCP, new byte[0])), 45)), // ext cut
                ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", UDP, new byte[] {0, 1, 0, 2, 0, 4, 0, 0})), // UDP len 4
                ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", 1, new byte[2])), // ICMP cut
                goodTcp);
        List<Packet> packets = readAll(SyntheticCaptures.pcap(1, frames));
        assertThat(packets).extracting(Packet::decodeError).containsExactly(DecodeError.LINK, DecodeError.NETWORK,
                DecodeError.TRANSPORT, DecodeError.TRANSPORT, DecodeError.NETWORK, DecodeError.NETWORK,
                DecodeError.NETWORK, DecodeError.LINK, DecodeError.NETWORK, DecodeError.TRANSPORT,
                DecodeError.TRANSPORT, DecodeError.NONE);
        assertThat(packets.get(2).srcPort()).isEqualTo(-1);
        assertThat(packets.get(2).srcAddressText()).isEqualTo("10.0.0.1");
        assertThat(packets.get(3).srcPort()).isEqualTo(40000);
        assertThat(packets.get(3).isTcp()).isFalse();
        assertThat(packets.get(11).payloadLength()).isEqualTo(10);
    }

    @Test
    @DisplayName("Payload lengths come from the IP header, not the snap length (tcp.len on truncated captures)")
    void truncatedBySnapLength() throws Exception {
        Path file = Fixtures.path(Fixtures.ETHERNET);
        long[] truncatedWithData = {0};
        try (CaptureReader reader = CaptureReader.open(file)) {
            reader.read(p -> {
                if (p.isTcp() && p.originalLength() > p.capturedLength()) {
                    truncatedWithData[0]++;
                    assertThat(p.payloadLength()).isEqualTo(p.ipTotalLength() - p.ipHeaderLength() - p.tcpHeaderLength());
                    assertThat(p.capturedPayloadLength()).isEqualTo(p.capturedLength() - p.payloadOffset());
                    assertThat(p.capturedPayloadLength()).isLessThan(p.payloadLength());
                }
                return true;
            });
        }
        assertThat(truncatedWithData[0]).isPositive();
    }

    @Test
    @DisplayName("tshark agrees on every packet of a capture truncated by its snap length")
    void truncatedBySnapLengthDecodesLikeTshark() throws Exception {
        Needs.tools("tshark");
        Path file = Fixtures.path(Fixtures.ETHERNET);
        assertThat(TsharkOracle.assertAgrees(file)).isEqualTo(readAll(file).size()).isPositive();
    }

    private static List<Packet> readAll(Path file) throws IOException {
        try (CaptureReader reader = CaptureReader.open(file)) {
            List<Packet> out = new ArrayList<>();
            reader.read(p -> out.add(p.copy()));
            assertThat(reader.complete()).isTrue();
            return out;
        }
    }

    private static List<Packet> readAll(byte[] capture) throws IOException {
        try (CaptureReader reader = CaptureReader.open(new ByteArrayInputStream(capture), "crafted")) {
            List<Packet> out = new ArrayList<>();
            reader.read(p -> out.add(p.copy()));
            return out;
        }
    }
}
