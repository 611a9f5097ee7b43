package io.github.capturepackets.pcap;

/**
 * Link-layer header types (the {@code LINKTYPE_*} values of pcap and pcapng) that the reader decodes.
 *
 * <p>Codes follow the tcpdump.org registry. A code the reader does not know maps to {@link #UNKNOWN}; such
 * packets are still delivered (raw bytes, lengths, timestamps) but carry no decoded layers.
 */
public enum LinkType {
    /** BSD loopback: a 4-byte address family in the byte order of the machine that wrote the file. */
    NULL(0),
    /** Ethernet II / 802.3, with optional 802.1Q and 802.1ad VLAN tags. */
    ETHERNET(1),
    /** Raw IP: the packet starts with an IPv4 or IPv6 header. */
    RAW(101),
    /** OpenBSD loopback: a 4-byte address family in network byte order. */
    LOOP(108),
    /** Linux "cooked" capture v1 (what {@code tcpdump -i any -y LINUX_SLL} writes), 16-byte header. */
    LINUX_SLL(113),
    /** Raw IPv4: the packet starts with an IPv4 header. */
    IPV4(228),
    /** Raw IPv6: the packet starts with an IPv6 header. */
    IPV6(229),
    /** Linux "cooked" capture v2 (what {@code tcpdump -i any} writes), 20-byte header with interface index. */
    LINUX_SLL2(276),
    /** Any link type the reader does not decode; the numeric code is kept by {@link Packet#linkTypeCode()}. */
    UNKNOWN(-1);

    private final int code;

    LinkType(int code) {
        this.code = code;
    }

    /** The {@code LINKTYPE_*} number written in pcap headers and pcapng interface blocks; -1 for UNKNOWN. */
    public int code() {
        return code;
    }

    /** The link type for a {@code LINKTYPE_*} number, or {@link #UNKNOWN} when it is not decoded here. */
    public static LinkType fromCode(int code) {
        switch (code) {
            case 0:
                return NULL;
            case 1:
                return ETHERNET;
            case 101:
                return RAW;
            case 108:
                return LOOP;
            case 113:
                return LINUX_SLL;
            case 228:
                return IPV4;
            case 229:
                return IPV6;
            case 276:
                return LINUX_SLL2;
            default:
                return UNKNOWN;
        }
    }
}
