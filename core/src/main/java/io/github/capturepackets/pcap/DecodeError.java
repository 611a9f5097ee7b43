package io.github.capturepackets.pcap;

/**
 * Where decoding of one packet stopped because its headers were truncated or malformed.
 *
 * <p>Decoding never throws: a damaged layer is marked here and the fields of the layers below it stay valid.
 * A packet that simply is not IP (ARP, LLDP) is not an error: it has {@link #NONE} and
 * {@link Packet#ipVersion()} 0.
 */
public enum DecodeError {
    /** All headers present in the packet were decoded. */
    NONE,
    /** The interface's link type is not one the reader decodes; only frame fields are set. */
    UNSUPPORTED_LINK_TYPE,
    /** The link-layer header (Ethernet, VLAN tags, SLL, SLL2, loopback) is shorter than it must be. */
    LINK,
    /** The IPv4/IPv6 header or an IPv6 extension header is truncated or inconsistent. */
    NETWORK,
    /** The TCP, UDP or ICMP header is truncated or inconsistent (for example a TCP data offset below 5). */
    TRANSPORT
}
