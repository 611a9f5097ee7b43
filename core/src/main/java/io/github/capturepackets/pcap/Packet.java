package io.github.capturepackets.pcap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One captured packet with its decoded headers: a flyweight that a {@link CaptureReader} reuses for every
 * packet.
 *
 * <p>All accessors return primitives and allocate nothing, so the analysis loop stays garbage-free. The
 * instance and its {@link #data()} array are only valid until the reader moves on (the end of
 * {@link PacketHandler#onPacket} or the next {@link CaptureReader#next()}); copy the fields you keep, or call
 * {@link #copy()}. A packet, copies included, is for one thread at a time: the TCP option accessors read the
 * options from the packet's bytes the first time one of them is called.
 *
 * <p>Addresses are held as two longs each (the 128-bit IPv6 address, high and low halves); IPv4 addresses are
 * mapped as {@code ::ffff:a.b.c.d}, so {@code (srcHi, srcLo)} is the same key for both families. Fields of a
 * layer that is absent are 0, or -1 where 0 is a valid value (ports, ICMP type, window scale, MSS).
 * Lengths and sequence numbers that are unsigned 32-bit on the wire are returned as non-negative longs.
 */
public final class Packet {

    /** TCP flag bit FIN. */
    public static final int FIN = 0x01;
    /** TCP flag bit SYN. */
    public static final int SYN = 0x02;
    /** TCP flag bit RST. */
    public static final int RST = 0x04;
    /** TCP flag bit PSH. */
    public static final int PSH = 0x08;
    /** TCP flag bit ACK. */
    public static final int ACK = 0x10;
    /** TCP flag bit URG. */
    public static final int URG = 0x20;
    /** TCP flag bit ECE. */
    public static final int ECE = 0x40;
    /** TCP flag bit CWR. */
    public static final int CWR = 0x80;

    /** IP protocol number of ICMP. */
    public static final int PROTO_ICMP = 1;
    /** IP protocol number of TCP. */
    public static final int PROTO_TCP = 6;
    /** IP protocol number of UDP. */
    public static final int PROTO_UDP = 17;
    /** IP protocol number of ICMPv6. */
    public static final int PROTO_ICMPV6 = 58;

    // Frame (set by the reader).
    long frameNumber;
    long timestampNanos;
    int interfaceId;
    LinkType linkType = LinkType.UNKNOWN;
    int linkTypeCode = -1;
    int capturedLength;
    long originalLength;
    byte[] data = new byte[0];
    int dataOffset;
    int commentOffset = -1;
    int commentLength;

    // Link layer.
    DecodeError decodeError = DecodeError.NONE;
    int etherType;
    int vlanCount;
    int outerVlanId;
    int sllPacketType;
    int sllInterfaceIndex;
    int networkOffset;

    // Network layer.
    int ipVersion;
    long srcHi;
    long srcLo;
    long dstHi;
    long dstLo;
    int ipProtocol;
    int ttl;
    int ipHeaderLength;
    int ipTotalLength;
    long ipId;
    boolean fragment;
    boolean moreFragments;
    int fragmentOffset;

    // Transport layer.
    int transportOffset;
    int srcPort;
    int dstPort;
    long seq;
    long ack;
    int tcpFlags;
    int tcpHeaderLength;
    int window;
    /**
     * Whether the TCP option fields below hold this packet's options: the decoder leaves them to the first
     * accessor that asks (the analysis never does; parsing them for every packet cost ~2.5 % of its time).
     */
    boolean tcpOptionsRead;
    int windowScale;
    int mss;
    boolean sackPermitted;
    int sackBlockCount;
    final long[] sackEdges = new long[8];
    boolean hasTimestampOption;
    long tsVal;
    long tsEcr;
    int udpLength;
    int icmpType;
    int icmpCode;
    int innerIpVersion;
    long innerSrcHi;
    long innerSrcLo;
    long innerDstHi;
    long innerDstLo;
    int innerIpProtocol;
    int innerSrcPort;
    int innerDstPort;
    int payloadOffset;
    int payloadLength;
    int capturedPayloadLength;

    Packet() {}

    /** Resets every decoded field before the decoder fills them for the next packet. */
    void clearLayers() {
        decodeError = DecodeError.NONE;
        etherType = 0;
        vlanCount = 0;
        outerVlanId = -1;
        sllPacketType = -1;
        sllInterfaceIndex = -1;
        networkOffset = -1;
        ipVersion = 0;
        srcHi = 0;
        srcLo = 0;
        dstHi = 0;
        dstLo = 0;
        ipProtocol = -1;
        ttl = 0;
        ipHeaderLength = 0;
        ipTotalLength = 0;
        ipId = 0;
        fragment = false;
        moreFragments = false;
        fragmentOffset = 0;
        transportOffset = -1;
        srcPort = -1;
        dstPort = -1;
        seq = 0;
        ack = 0;
        tcpFlags = 0;
        tcpHeaderLength = 0;
        window = 0;
        tcpOptionsRead = false;
        udpLength = 0;
        icmpType = -1;
        icmpCode = -1;
        innerIpVersion = 0;
        innerSrcHi = 0;
        innerSrcLo = 0;
        innerDstHi = 0;
        innerDstLo = 0;
        innerIpProtocol = -1;
        innerSrcPort = -1;
        innerDstPort = -1;
        payloadOffset = -1;
        payloadLength = 0;
        capturedPayloadLength = 0;
    }

    // ---- Frame ----

    /** 1-based position of the packet in the input, across all interfaces and sections (Wireshark's frame.number). */
    public long frameNumber() {
        return frameNumber;
    }

    /** Capture time in nanoseconds since the epoch, with the interface's resolution and offset applied. */
    public long timestampNanos() {
        return timestampNanos;
    }

    /** The capturing interface, numbered as {@link CaptureInterface#id()} (0 for pcap). */
    public int interfaceId() {
        return interfaceId;
    }

    /** Link type of the packet's interface. */
    public LinkType linkType() {
        return linkType;
    }

    /** The numeric {@code LINKTYPE_*} of the packet's interface, also for {@link LinkType#UNKNOWN}. */
    public int linkTypeCode() {
        return linkTypeCode;
    }

    /** Bytes of the packet present in the capture (after snaplen truncation). */
    public int capturedLength() {
        return capturedLength;
    }

    /** Length of the packet on the wire, which may exceed {@link #capturedLength()}. */
    public long originalLength() {
        return originalLength;
    }

    /** The array holding the packet bytes, from {@link #dataOffset()} for {@link #capturedLength()} bytes. Do not modify. */
    public byte[] data() {
        return data;
    }

    /** Offset of the first packet byte in {@link #data()}. */
    public int dataOffset() {
        return dataOffset;
    }

    /** Packet byte at {@code index} (0 = first byte of the link-layer header) as 0..255. */
    public int byteAt(int index) {
        if (index < 0 || index >= capturedLength) {
            throw new IndexOutOfBoundsException("index " + index + " outside captured length " + capturedLength);
        }
        return data[dataOffset + index] & 0xff;
    }

    /** Whether the packet has a pcapng comment ({@code opt_comment}). */
    public boolean hasComment() {
        return commentOffset >= 0;
    }

    /** The packet's first pcapng comment, or {@code null}; allocates a String, so call it only when needed. */
    public String comment() {
        return commentOffset < 0 ? null : new String(data, commentOffset, commentLength, StandardCharsets.UTF_8);
    }

    // ---- Link layer ----

    /** Where decoding stopped because of damage, or {@link DecodeError#NONE}. */
    public DecodeError decodeError() {
        return decodeError;
    }

    /**
     * The EtherType of the network layer after any VLAN tags (0x0800 IPv4, 0x86DD IPv6, 0x0806 ARP), the SLL/SLL2
     * protocol field, or the EtherType implied by a loopback/raw header; 0 when unknown.
     */
    public int etherType() {
        return etherType;
    }

    /** Number of 802.1Q / 802.1ad tags that were skipped. */
    public int vlanCount() {
        return vlanCount;
    }

    /** VLAN id (12 bits) of the outermost tag, or -1 without tags. */
    public int outerVlanId() {
        return outerVlanId;
    }

    /** SLL/SLL2 packet type (0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us), or -1. */
    public int sllPacketType() {
        return sllPacketType;
    }

    /** SLL2 interface index (the ifindex in the capturing namespace), or -1 for other link types. */
    public int sllInterfaceIndex() {
        return sllInterfaceIndex;
    }

    /** Offset of the IP header from the first packet byte, or -1 when there is none. */
    public int networkOffset() {
        return networkOffset;
    }

    // ---- Network layer ----

    /** 4 or 6 when an IP header was decoded, else 0. */
    public int ipVersion() {
        return ipVersion;
    }

    /** High 64 bits of the source address (0 for IPv4, which is mapped as ::ffff:a.b.c.d). */
    public long srcHi() {
        return srcHi;
    }

    /** Low 64 bits of the source address ({@code 0x0000ffff_aabbccdd} for IPv4 a.b.c.d). */
    public long srcLo() {
        return srcLo;
    }

    /** High 64 bits of the destination address. */
    public long dstHi() {
        return dstHi;
    }

    /** Low 64 bits of the destination address. */
    public long dstLo() {
        return dstLo;
    }

    /** Source address as text ({@code 10.0.0.1}, {@code ::1}); allocates, so use it for reports only. */
    public String srcAddressText() {
        return formatAddress(srcHi, srcLo);
    }

    /** Destination address as text; allocates, so use it for reports only. */
    public String dstAddressText() {
        return formatAddress(dstHi, dstLo);
    }

    /**
     * The upper-layer protocol after IPv6 extension headers (hop-by-hop, routing, fragment, destination options,
     * AH): 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 59 none; -1 without IP.
     */
    public int ipProtocol() {
        return ipProtocol;
    }

    /** IPv4 TTL or IPv6 hop limit. */
    public int ttl() {
        return ttl;
    }

    /** Length of the IP header including IPv4 options and IPv6 extension headers. */
    public int ipHeaderLength() {
        return ipHeaderLength;
    }

    /**
     * IP packet length as the header states it (IPv4 total length, or 40 + IPv6 payload length); when the header
     * says 0 (TSO, jumbograms) the captured bytes stand in, as Wireshark does.
     */
    public int ipTotalLength() {
        return ipTotalLength;
    }

    /** IPv4 identification, or the IPv6 fragment header's identification; 0 otherwise. */
    public long ipId() {
        return ipId;
    }

    /** Whether this is an IP fragment (more-fragments set or a non-zero offset). */
    public boolean isFragment() {
        return fragment;
    }

    /** Whether the more-fragments flag is set. */
    public boolean moreFragments() {
        return moreFragments;
    }

    /**
     * Fragment offset in bytes. A non-first fragment ({@code > 0}) carries no transport header, so transport
     * fields stay unset; a first fragment has its transport header decoded, with payload lengths for this
     * fragment only (Wireshark would show them on the reassembled frame instead).
     */
    public int fragmentOffset() {
        return fragmentOffset;
    }

    // ---- Transport layer ----

    /** Whether the packet carries a decoded TCP header. */
    public boolean isTcp() {
        return ipProtocol == PROTO_TCP && tcpHeaderLength > 0;
    }

    /** Whether the packet carries a decoded UDP header. */
    public boolean isUdp() {
        return ipProtocol == PROTO_UDP && udpLength > 0;
    }

    /** Whether the packet carries a decoded ICMP or ICMPv6 header. */
    public boolean isIcmp() {
        return icmpType >= 0;
    }

    /** Offset of the TCP/UDP/ICMP header from the first packet byte, or -1. */
    public int transportOffset() {
        return transportOffset;
    }

    /** TCP or UDP source port, or -1. */
    public int srcPort() {
        return srcPort;
    }

    /** TCP or UDP destination port, or -1. */
    public int dstPort() {
        return dstPort;
    }

    /** Raw TCP sequence number (unsigned 32 bits; {@code tcp.seq_raw}). */
    public long seq() {
        return seq;
    }

    /** Raw TCP acknowledgment number (unsigned 32 bits; {@code tcp.ack_raw}). */
    public long ack() {
        return ack;
    }

    /** TCP flags byte: combine {@link #SYN}, {@link #ACK}, {@link #FIN}, {@link #RST} and friends. */
    public int tcpFlags() {
        return tcpFlags;
    }

    /** Whether all the given TCP flag bits are set. */
    public boolean hasFlags(int flags) {
        return (tcpFlags & flags) == flags;
    }

    /** TCP header length in bytes (data offset x 4), or 0 without TCP. */
    public int tcpHeaderLength() {
        return tcpHeaderLength;
    }

    /** The raw, unscaled TCP window field ({@code tcp.window_size_value}). */
    public int window() {
        return window;
    }

    /** The window scale option's shift count as sent (Wireshark caps its use at 14), or -1 when absent. */
    public int windowScale() {
        tcpOptions();
        return windowScale;
    }

    /** The MSS option value, or -1 when absent. */
    public int mss() {
        tcpOptions();
        return mss;
    }

    /** Whether the SACK-permitted option is present. */
    public boolean sackPermitted() {
        tcpOptions();
        return sackPermitted;
    }

    /** Number of SACK blocks in the options (0..4). */
    public int sackBlockCount() {
        tcpOptions();
        return sackBlockCount;
    }

    /** Left edge of SACK block {@code i} (unsigned 32 bits). */
    public long sackLeftEdge(int i) {
        checkSackIndex(i);
        return sackEdges[2 * i];
    }

    /** Right edge of SACK block {@code i} (unsigned 32 bits). */
    public long sackRightEdge(int i) {
        checkSackIndex(i);
        return sackEdges[2 * i + 1];
    }

    private void checkSackIndex(int i) {
        tcpOptions();
        if (i < 0 || i >= sackBlockCount) {
            throw new IndexOutOfBoundsException("SACK block " + i + " of " + sackBlockCount);
        }
    }

    private void tcpOptions() {
        if (!tcpOptionsRead) {
            PacketDecoder.decodeTcpOptions(this);
        }
    }

    /** Whether the TCP timestamps option is present. */
    public boolean hasTimestampOption() {
        tcpOptions();
        return hasTimestampOption;
    }

    /** TCP timestamp option TSval (unsigned 32 bits), or 0. */
    public long tsVal() {
        tcpOptions();
        return tsVal;
    }

    /** TCP timestamp option TSecr (unsigned 32 bits), or 0. */
    public long tsEcr() {
        tcpOptions();
        return tsEcr;
    }

    /** UDP length field (header included), or 0 without UDP. */
    public int udpLength() {
        return udpLength;
    }

    /** ICMP or ICMPv6 type, or -1. */
    public int icmpType() {
        return icmpType;
    }

    /** ICMP or ICMPv6 code, or -1. */
    public int icmpCode() {
        return icmpCode;
    }

    /** IP version (4 or 6) of the datagram quoted in an ICMP error, or 0 when there is none. */
    public int innerIpVersion() {
        return innerIpVersion;
    }

    /** High half of the quoted datagram's source address. */
    public long innerSrcHi() {
        return innerSrcHi;
    }

    /** Low half of the quoted datagram's source address. */
    public long innerSrcLo() {
        return innerSrcLo;
    }

    /** High half of the quoted datagram's destination address. */
    public long innerDstHi() {
        return innerDstHi;
    }

    /** Low half of the quoted datagram's destination address. */
    public long innerDstLo() {
        return innerDstLo;
    }

    /** Protocol of the datagram quoted in an ICMP error, or -1. */
    public int innerIpProtocol() {
        return innerIpProtocol;
    }

    /** TCP/UDP source port of the quoted datagram, or -1 when absent or not captured. */
    public int innerSrcPort() {
        return innerSrcPort;
    }

    /** TCP/UDP destination port of the quoted datagram, or -1. */
    public int innerDstPort() {
        return innerDstPort;
    }

    /** Offset of the TCP/UDP payload from the first packet byte, or -1. */
    public int payloadOffset() {
        return payloadOffset;
    }

    /** Index in {@link #data()} of the first TCP/UDP payload byte ({@code dataOffset() + payloadOffset()}), or -1. */
    public int payloadIndex() {
        return payloadOffset < 0 ? -1 : dataOffset + payloadOffset;
    }

    /**
     * TCP/UDP payload length as the headers state it (Wireshark's {@code tcp.len}: IP length minus IP and TCP
     * headers), independent of snaplen truncation.
     */
    public int payloadLength() {
        return payloadLength;
    }

    /** How many payload bytes are actually present in {@link #data()} (at most {@link #payloadLength()}). */
    public int capturedPayloadLength() {
        return capturedPayloadLength;
    }

    // ---- Utilities ----

    /**
     * Decodes one frame outside any capture file, for example to build test input for code that consumes
     * packets. The result owns {@code frame} (not copied) and has interface 0.
     */
    public static Packet decode(LinkType linkType, long frameNumber, long timestampNanos, byte[] frame) {
        Packet p = new Packet();
        p.linkType = linkType;
        p.linkTypeCode = linkType.code();
        p.frameNumber = frameNumber;
        p.timestampNanos = timestampNanos;
        p.data = frame;
        p.dataOffset = 0;
        p.capturedLength = frame.length;
        p.originalLength = frame.length;
        PacketDecoder.decode(p);
        return p;
    }

    /** A detached copy with its own byte array, safe to keep after the reader moves on. */
    public Packet copy() {
        Packet c = new Packet();
        c.copyFrom(this);
        return c;
    }

    private void copyFrom(Packet p) {
        int start = p.dataOffset;
        int end = start + p.capturedLength;
        int commentEnd = p.commentOffset >= 0 ? p.commentOffset + p.commentLength : end;
        int to = Math.max(end, commentEnd);
        int from = p.commentOffset >= 0 ? Math.min(start, p.commentOffset) : start;
        int shift = -from;
        data = Arrays.copyOfRange(p.data, from, to);
        dataOffset = start + shift;
        commentOffset = p.commentOffset >= 0 ? p.commentOffset + shift : -1;
        commentLength = p.commentLength;
        frameNumber = p.frameNumber;
        timestampNanos = p.timestampNanos;
        interfaceId = p.interfaceId;
        linkType = p.linkType;
        linkTypeCode = p.linkTypeCode;
        capturedLength = p.capturedLength;
        originalLength = p.originalLength;
        decodeError = p.decodeError;
        etherType = p.etherType;
        vlanCount = p.vlanCount;
        outerVlanId = p.outerVlanId;
        sllPacketType = p.sllPacketType;
        sllInterfaceIndex = p.sllInterfaceIndex;
        networkOffset = p.networkOffset;
        ipVersion = p.ipVersion;
        srcHi = p.srcHi;
        srcLo = p.srcLo;
        dstHi = p.dstHi;
        dstLo = p.dstLo;
        ipProtocol = p.ipProtocol;
        ttl = p.ttl;
        ipHeaderLength = p.ipHeaderLength;
        ipTotalLength = p.ipTotalLength;
        ipId = p.ipId;
        fragment = p.fragment;
        moreFragments = p.moreFragments;
        fragmentOffset = p.fragmentOffset;
        transportOffset = p.transportOffset;
        srcPort = p.srcPort;
        dstPort = p.dstPort;
        seq = p.seq;
        ack = p.ack;
        tcpFlags = p.tcpFlags;
        tcpHeaderLength = p.tcpHeaderLength;
        window = p.window;
        tcpOptionsRead = p.tcpOptionsRead;
        windowScale = p.windowScale;
        mss = p.mss;
        sackPermitted = p.sackPermitted;
        sackBlockCount = p.sackBlockCount;
        System.arraycopy(p.sackEdges, 0, sackEdges, 0, sackEdges.length);
        hasTimestampOption = p.hasTimestampOption;
        tsVal = p.tsVal;
        tsEcr = p.tsEcr;
        udpLength = p.udpLength;
        icmpType = p.icmpType;
        icmpCode = p.icmpCode;
        innerIpVersion = p.innerIpVersion;
        innerSrcHi = p.innerSrcHi;
        innerSrcLo = p.innerSrcLo;
        innerDstHi = p.innerDstHi;
        innerDstLo = p.innerDstLo;
        innerIpProtocol = p.innerIpProtocol;
        innerSrcPort = p.innerSrcPort;
        innerDstPort = p.innerDstPort;
        payloadOffset = p.payloadOffset;
        payloadLength = p.payloadLength;
        capturedPayloadLength = p.capturedPayloadLength;
    }

    /**
     * Formats an address held as two longs: dotted quad for IPv4-mapped ({@code ::ffff:a.b.c.d}) addresses,
     * RFC 5952 text (lower case, longest zero run compressed) otherwise.
     */
    public static String formatAddress(long hi, long lo) {
        if (hi == 0 && (lo >>> 32) == 0xffffL) {
            return ((lo >>> 24) & 0xff) + "." + ((lo >>> 16) & 0xff) + "." + ((lo >>> 8) & 0xff) + "." + (lo & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            groups[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] == 0) {
                int j = i;
                while (j < 8 && groups[j] == 0) {
                    j++;
                }
                if (j - i > bestLen) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    /** The IPv4-mapped form ({@code ::ffff:a.b.c.d}) low half of an IPv4 address given as an int. */
    public static long ipv4MappedLo(int ipv4) {
        return 0x0000ffff00000000L | (ipv4 & 0xffffffffL);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Packet{frame=").append(frameNumber).append(", ts=").append(timestampNanos)
                .append(", if=").append(interfaceId).append(", ").append(linkType).append(", len=")
                .append(capturedLength).append('/').append(originalLength);
        if (ipVersion != 0) {
            sb.append(", ").append(srcAddressText()).append(" > ").append(dstAddressText()).append(", proto=")
                    .append(ipProtocol);
        }
        if (srcPort >= 0) {
            sb.append(", ports=").append(srcPort).append('>').append(dstPort);
        }
        if (isTcp()) {
            sb.append(", flags=0x").append(Integer.toHexString(tcpFlags)).append(", seq=").append(seq)
                    .append(", ack=").append(ack).append(", len=").append(payloadLength);
        }
        if (decodeError != DecodeError.NONE) {
            sb.append(", error=").append(decodeError);
        }
        return sb.append('}').toString();
    }
}
