package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Packet: address text, link type codes, detached copies and standalone decoding")
class PacketTest {

    @ParameterizedTest(name = "{0} formats as {1}")
    @CsvSource({
        "::, ::",
        "::1, ::1",
        "1::, 1::",
        "2001:db8::1, 2001:db8::1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "fe80::aBcD:1, fe80::abcd:1",
        "10.1.2.3, 10.1.2.3"})
    @DisplayName("Addresses format as RFC 5952 text (longest zero run, first on ties) or dotted IPv4")
    void formatAddress(String input, String expected) throws Exception {
        byte[] b = InetAddress.getByName(input).getAddress();
        long hi = 0;
        long lo;
        if (b.length == 4) {
            lo = Packet.ipv4MappedLo((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff));
        } else {
            lo = 0;
            for (int i = 0; i < 8; i++) {
                hi = hi << 8 | (b[i] & 0xff);
                lo = lo << 8 | (b[i + 8] & 0xff);
            }
        }
        assertThat(Packet.formatAddress(hi, lo)).isEqualTo(expected);
    }

    @Test
    @DisplayName("Every link type maps to its code and back; unknown codes map to UNKNOWN")
    void linkTypeCodes() {
        for (LinkType type : LinkType.values()) {
            if (type != LinkType.UNKNOWN) {
                assertThat(LinkType.fromCode(type.code())).isEqualTo(type);
            }
        }
        assertThat(LinkType.fromCode(147)).isEqualTo(LinkType.UNKNOWN);
        assertThat(LinkType.fromCode(-1)).isEqualTo(LinkType.UNKNOWN);
    }

    @Test
    @DisplayName("A copy survives the reader moving on; the flyweight does not")
    void copySurvivesReader() throws Exception {
        try (CaptureReader reader = CaptureReader.open(Fixtures.path(Fixtures.ETHERNET))) {
            Packet first = reader.next();
            Packet copy = first.copy();
            long seq = copy.seq();
            int firstByte = copy.byteAt(0);
            Packet second = reader.next();
            assertThat(second).isSameAs(first);
            assertThat(copy.frameNumber()).isEqualTo(1);
            assertThat(copy.seq()).isEqualTo(seq);
            assertThat(copy.byteAt(0)).isEqualTo(firstByte);
            assertThat(copy.dataOffset()).isZero();
            assertThat(copy.data()).hasSize(copy.capturedLength());
            assertThatThrownBy(() -> copy.byteAt(copy.capturedLength())).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    @DisplayName("TCP options, read on demand, come from the packet's own bytes: in the reused packet (none left "
            + "over from an earlier one) and in a copy made before any option was asked for")
    void tcpOptionsOnDemand() throws Exception {
        List<String> asRead = new ArrayList<>();
        List<String> fresh = new ArrayList<>();
        List<Packet> copies = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(Fixtures.path(Fixtures.ETHERNET))) {
            for (Packet p = reader.next(); p != null; p = reader.next()) {
                copies.add(p.copy());
                byte[] frame = Arrays.copyOfRange(p.data(), p.dataOffset(), p.dataOffset() + p.capturedLength());
                fresh.add(options(Packet.decode(p.linkType(), p.frameNumber(), p.timestampNanos(), frame)));
                asRead.add(options(p));
            }
        }
        assertThat(fresh).anyMatch(o -> o.startsWith("mss=65495 "));
        assertThat(fresh).anyMatch(o -> o.contains(" ts=true"));
        assertThat(fresh).anyMatch(o -> o.startsWith("mss=-1 wscale=-1 sackOk=false sack=0 ts=false "));
        assertThat(asRead).isEqualTo(fresh);
        assertThat(copies.stream().map(PacketTest::options).toList()).isEqualTo(fresh);

        // A SYN's options, then a frame that is not TCP at all: nothing of the SYN's options may show through.
        Packet syn = Packet.decode(LinkType.ETHERNET, 1, 0, Frames.ethernet(0x0800, Frames.ipv4("10.0.0.1",
                "10.0.0.2", 6, Frames.tcp(1, 2, 3, 4, Packet.SYN, 5, Frames.synOptions(), new byte[0]))));
        assertThat(options(syn)).startsWith("mss=1460 ");
        Packet arp = Packet.decode(LinkType.ETHERNET, 2, 0, Frames.ethernet(0x0806, new byte[28]));
        assertThat(options(arp)).isEqualTo("mss=-1 wscale=-1 sackOk=false sack=0 ts=false 0/0");
    }

    private static String options(Packet p) {
        return "mss=" + p.mss() + " wscale=" + p.windowScale() + " sackOk=" + p.sackPermitted() + " sack="
                + p.sackBlockCount() + " ts=" + p.hasTimestampOption() + " " + p.tsVal() + "/" + p.tsEcr();
    }

    @Test
    @DisplayName("Packet.decode decodes a standalone frame")
    void standalone() {
        byte[] frame = Frames.ethernet(0x0800, Frames.ipv4("10.0.0.1", "10.0.0.2", 6,
                Frames.tcp(1, 2, 3, 4, Packet.SYN, 5, Frames.synOptions(), new byte[0])));
        Packet p = Packet.decode(LinkType.ETHERNET, 7, 42, frame);
        assertThat(p.frameNumber()).isEqualTo(7);
        assertThat(p.timestampNanos()).isEqualTo(42);
        assertThat(p.isTcp()).isTrue();
        assertThat(p.mss()).isEqualTo(1460);
        assertThat(p.toString()).contains("10.0.0.1 > 10.0.0.2").contains("ports=1>2");
    }
}
