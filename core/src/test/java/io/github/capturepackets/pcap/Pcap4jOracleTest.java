package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;

/** pcap4j (through native libpcap) as a second, independent oracle for the link types it decodes. */
@DisplayName("Decoding agrees with pcap4j on Ethernet and LINUX_SLL captures")
class Pcap4jOracleTest {

    private static final String LIBPCAP = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";

    @TempDir(factory = TargetTempDir.class)
    static Path dir;

    @BeforeAll
    static void libpcap() {
        // pcap4j looks for libpcap.so, which only the -dev package provides; point it at the runtime library.
        if (System.getProperty("org.pcap4j.core.pcapLibName") == null && Files.exists(Path.of(LIBPCAP))) {
            System.setProperty("org.pcap4j.core.pcapLibName", LIBPCAP);
        }
        boolean loads;
        try {
            Pcaps.libVersion();
            loads = true;
        } catch (Throwable e) {
            loads = false;
        }
        Needs.that(loads, "libpcap", "pcap4j cannot load native libpcap: apt-get install -y libpcap0.8 to run this test");
    }

    @Test
    @DisplayName("Committed real captures (Ethernet, SLL): same addresses, ports, sequence numbers, flags, lengths")
    void committedCaptures() throws Exception {
        assertThat(compare(Fixtures.path(Fixtures.ETHERNET))).isGreaterThan(50);
        assertThat(compare(Fixtures.path(Fixtures.SLL))).isGreaterThan(50);
    }

    @Test
    @DisplayName("Fresh tcpdump captures at full snap length (Ethernet, SLL): same fields for every packet")
    void freshCaptures() throws Exception {
        Tools.assumeCanCapture();
        LoopbackCaptures captures = LoopbackCaptures.capture(dir);
        assertThat(compare(captures.ethernet())).isGreaterThan(50);
        assertThat(compare(captures.sll())).isGreaterThan(50);
    }

    /** Compares every packet pcap4j decodes as IP; returns how many TCP/UDP packets were compared. */
    private static long compare(Path file) throws Exception {
        List<Packet> ours = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(file)) {
            reader.read(p -> ours.add(p.copy()));
        }
        long compared = 0;
        PcapHandle handle = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO);
        try {
            for (int i = 0; ; i++) {
                org.pcap4j.packet.Packet theirs;
                try {
                    theirs = handle.getNextPacketEx();
                } catch (EOFException end) {
                    assertThat(i).as("packet count of %s", file).isEqualTo(ours.size());
                    break;
                }
                Packet p = ours.get(i);
                String where = file.getFileName() + " frame " + p.frameNumber();
                java.sql.Timestamp ts = handle.getTimestamp();
                assertThat(p.timestampNanos()).as(where).isEqualTo(ts.getTime() / 1000 * 1_000_000_000L + ts.getNanos());
                IpV4Packet v4 = theirs.get(IpV4Packet.class);
                IpV6Packet v6 = theirs.get(IpV6Packet.class);
                if (v4 != null) {
                    assertThat(p.ipVersion()).as(where).isEqualTo(4);
                    assertThat(p.srcAddressText()).as(where).isEqualTo(v4.getHeader().getSrcAddr().getHostAddress());
                    assertThat(p.dstAddressText()).as(where).isEqualTo(v4.getHeader().getDstAddr().getHostAddress());
                    assertThat(p.ttl()).as(where).isEqualTo(v4.getHeader().getTtlAsInt());
                } else if (v6 != null) {
                    assertThat(p.ipVersion()).as(where).isEqualTo(6);
                    assertThat(p.srcAddressText()).as(where).isEqualTo(compress(v6.getHeader().getSrcAddr().getHostAddress()));
                } else {
                    continue;
                }
                if (p.isIcmp()) {
                    continue;
                }
                TcpPacket tcp = theirs.get(TcpPacket.class);
                UdpPacket udp = theirs.get(UdpPacket.class);
                if (tcp != null) {
                    TcpPacket.TcpHeader h = tcp.getHeader();
                    assertThat(p.isTcp()).as(where).isTrue();
                    assertThat(p.srcPort()).as(where).isEqualTo(h.getSrcPort().valueAsInt());
                    assertThat(p.dstPort()).as(where).isEqualTo(h.getDstPort().valueAsInt());
                    assertThat(p.seq()).as(where).isEqualTo(h.getSequenceNumberAsLong());
                    assertThat(p.ack()).as(where).isEqualTo(h.getAcknowledgmentNumberAsLong());
                    assertThat(p.hasFlags(Packet.SYN)).as(where).isEqualTo(h.getSyn());
                    assertThat(p.hasFlags(Packet.ACK)).as(where).isEqualTo(h.getAck());
                    assertThat(p.hasFlags(Packet.RST)).as(where).isEqualTo(h.getRst());
                    assertThat(p.hasFlags(Packet.FIN)).as(where).isEqualTo(h.getFin());
                    assertThat(p.window()).as(where).isEqualTo(h.getWindowAsInt());
                    int payload = tcp.getPayload() == null ? 0 : tcp.getPayload().length();
                    assertThat(p.capturedPayloadLength()).as(where).isEqualTo(payload);
                    compared++;
                } else if (udp != null) {
                    assertThat(p.isUdp()).as(where).isTrue();
                    assertThat(p.srcPort()).as(where).isEqualTo(udp.getHeader().getSrcPort().valueAsInt());
                    assertThat(p.dstPort()).as(where).isEqualTo(udp.getHeader().getDstPort().valueAsInt());
                    assertThat(p.udpLength()).as(where).isEqualTo(udp.getHeader().getLengthAsInt());
                    compared++;
                }
            }
        } finally {
            handle.close();
        }
        return compared;
    }

    /** pcap4j prints IPv6 in full form (0:0:0:0:0:0:0:1); ours is RFC 5952. */
    private static String compress(String full) throws Exception {
        byte[] b = java.net.InetAddress.getByName(full).getAddress();
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | (b[i] & 0xff);
            lo = lo << 8 | (b[i + 8] & 0xff);
        }
        return Packet.formatAddress(hi, lo);
    }
}
