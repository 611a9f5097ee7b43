package io.github.capturepackets.pcap;

/**
 * Decodes link, network and transport headers of a {@link Packet} in place, without allocating.
 *
 * <p>Every read is bounds-checked against the captured bytes; damage sets {@link Packet#decodeError} and stops,
 * never throws. Lengths follow Wireshark: payload lengths come from the IP header, not from the captured size.
 */
final class PacketDecoder {

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86dd;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88a8;
    private static final int ETHERTYPE_QINQ_OLD = 0x9100;
    private static final int MAX_VLAN_TAGS = 8;
    private static final int MAX_IPV6_EXTENSIONS = 16;

    private PacketDecoder() {}

    static void decode(Packet p) {
        p.clearLayers();
        byte[] d = p.data;
        int start = p.dataOffset;
        int end = start + p.capturedLength;
        int net;
        int etherType;
        switch (p.linkType) {
            case ETHERNET: {
                if (end - start < 14) {
                    p.decodeError = DecodeError.LINK;
                    return;
                }
                etherType = u16(d, start + 12);
                net = start + 14;
                break;
            }
            case LINUX_SLL: {
                if (end - start < 16) {
                    p.decodeError = DecodeError.LINK;
                    return;
                }
                p.sllPacketType = u16(d, start);
                etherType = u16(d, start + 14);
                net = start + 16;
                break;
            }
            case LINUX_SLL2: {
                if (end - start < 20) {
                    p.decodeError = DecodeError.LINK;
                    return;
                }
                etherType = u16(d, start);
                p.sllInterfaceIndex = i32(d, start + 4);
                p.sllPacketType = d[start + 10] & 0xff;
                net = start + 20;
                break;
            }
            case NULL:
            case LOOP: {
                if (end - start < 4) {
                    p.decodeError = DecodeError.LINK;
                    return;
                }
                int family = i32(d, start);
                if (p.linkType == LinkType.NULL && (family & 0xffff) == 0 && family != 0) {
                    // Written in the other byte order than network order.
                    family = Integer.reverseBytes(family);
                }
                etherType = familyToEtherType(family);
                net = start + 4;
                break;
            }
            case RAW: {
                if (end - start < 1) {
                    p.decodeError = DecodeError.NETWORK;
                    return;
                }
                int version = (d[start] & 0xff) >>> 4;
                etherType = version == 4 ? ETHERTYPE_IPV4 : version == 6 ? ETHERTYPE_IPV6 : 0;
                net = start;
                if (etherType == 0) {
                    p.decodeError = DecodeError.NETWORK;
                    return;
                }
                break;
            }
            case IPV4:
                etherType = ETHERTYPE_IPV4;
                net = start;
                break;
            case IPV6:
                etherType = ETHERTYPE_IPV6;
                net = start;
                break;
            default:
                p.decodeError = DecodeError.UNSUPPORTED_LINK_TYPE;
                return;
        }
        // 802.1Q / 802.1ad tags: Ethernet, and SLL where libpcap re-inserts the tag after the protocol field.
        while (etherType == ETHERTYPE_VLAN || etherType == ETHERTYPE_QINQ || etherType == ETHERTYPE_QINQ_OLD) {
            if (end - net < 4 || p.vlanCount == MAX_VLAN_TAGS) {
                p.decodeError = DecodeError.LINK;
                p.etherType = etherType;
                return;
            }
            if (p.vlanCount == 0) {
                p.outerVlanId = u16(d, net) & 0x0fff;
            }
            p.vlanCount++;
            etherType = u16(d, net + 2);
            net += 4;
        }
        p.etherType = etherType;
        if (etherType == ETHERTYPE_IPV4) {
            p.networkOffset = net - start;
            decodeIpv4(p, d, net, end, start);
        } else if (etherType == ETHERTYPE_IPV6) {
            p.networkOffset = net - start;
            decodeIpv6(p, d, net, end, start);
        }
    }

    private static int familyToEtherType(int family) {
        switch (family) {
            case 2:
                return ETHERTYPE_IPV4;
            case 10: // Linux
            case 24: // NetBSD, OpenBSD
            case 28: // FreeBSD
            case 30: // macOS
                return ETHERTYPE_IPV6;
            default:
                return 0;
        }
    }

    private static void decodeIpv4(Packet p, byte[] d, int ip, int end, int start) {
        if (end - ip < 20) {
            p.decodeError = DecodeError.NETWORK;
            return;
        }
        int vihl = d[ip] & 0xff;
        int headerLength = (vihl & 0x0f) * 4;
        if ((vihl >>> 4) != 4 || headerLength < 20) {
            p.decodeError = DecodeError.NETWORK;
            return;
        }
        int total = u16(d, ip + 2);
        if (total == 0) {
            // TSO: the NIC fills the length in later; Wireshark then uses the captured length.
            total = end - ip;
        }
        if (total < headerLength) {
            p.decodeError = DecodeError.NETWORK;
            return;
        }
        p.ipVersion = 4;
        p.ipId = u16(d, ip + 4);
        int flagsOffset = u16(d, ip + 6);
        p.moreFragments = (flagsOffset & 0x2000) != 0;
        p.fragmentOffset = (flagsOffset & 0x1fff) * 8;
        p.fragment = p.moreFragments || p.fragmentOffset != 0;
        p.ttl = d[ip + 8] & 0xff;
        p.ipProtocol = d[ip + 9] & 0xff;
        p.srcHi = 0;
        p.srcLo = Packet.ipv4MappedLo(i32(d, ip + 12));
        p.dstHi = 0;
        p.dstLo = Packet.ipv4MappedLo(i32(d, ip + 16));
        p.ipHeaderLength = headerLength;
        p.ipTotalLength = total;
        if (end - ip < headerLength) {
            // Options cut off by the snap length: addresses are valid, the rest is not.
            p.decodeError = DecodeError.NETWORK;
            return;
        }
        if (p.fragmentOffset != 0) {
            return;
        }
        decodeTransport(p, d, ip + headerLength, ip + total, end, start);
    }

    private static void decodeIpv6(Packet p, byte[] d, int ip, int end, int start) {
        if (end - ip < 40) {
            p.decodeError = DecodeError.NETWORK;
            return;
        }
        if (((d[ip] & 0xff) >>> 4) != 6) {
            p.decodeError = DecodeError.NETWORK;
            return;
        }
        int payload = u16(d, ip + 4);
        int total = payload == 0 ? end - ip : 40 + payload;
        p.ipVersion = 6;
        p.ttl = d[ip + 7] & 0xff;
        p.srcHi = i64(d, ip + 8);
        p.srcLo = i64(d, ip + 16);
        p.dstHi = i64(d, ip + 24);
        p.dstLo = i64(d, ip + 32);
        p.ipTotalLength = total;
        int next = d[ip + 6] & 0xff;
        int o = ip + 40;
        int ipEnd = ip + total;
        for (int i = 0; i < MAX_IPV6_EXTENSIONS; i++) {
            int extLength;
            switch (next) {
                case 0: // hop-by-hop
                case 43: // routing
                case 60: // destination options
                    if (end - o < 2 || ipEnd - o < 8) {
                        ipv6Broken(p, next);
                        return;
                    }
                    extLength = ((d[o + 1] & 0xff) + 1) * 8;
                    break;
                case 51: // authentication header
                    if (end - o < 2 || ipEnd - o < 8) {
                        ipv6Broken(p, next);
                        return;
                    }
                    extLength = ((d[o + 1] & 0xff) + 2) * 4;
                    break;
                case 44: // fragment
                    if (end - o < 8 || ipEnd - o < 8) {
                        ipv6Broken(p, next);
                        return;
                    }
                    extLength = 8;
                    int offsetFlags = u16(d, o + 2);
                    p.fragmentOffset = offsetFlags & 0xfff8;
                    p.moreFragments = (offsetFlags & 1) != 0;
                    p.fragment = p.moreFragments || p.fragmentOffset != 0;
                    p.ipId = i32(d, o + 4) & 0xffffffffL;
                    break;
                default:
                    p.ipProtocol = next;
                    p.ipHeaderLength = o - ip;
                    if (p.fragmentOffset != 0) {
                        return;
                    }
                    decodeTransport(p, d, o, ipEnd, end, start);
                    return;
            }
            if (ipEnd - o < extLength || end - o < extLength) {
                ipv6Broken(p, next);
                return;
            }
            next = d[o] & 0xff;
            o += extLength;
        }
        // Too many extension headers: give up on the transport layer.
        p.ipProtocol = next;
        p.ipHeaderLength = o - ip;
        p.decodeError = DecodeError.NETWORK;
    }

    private static void ipv6Broken(Packet p, int next) {
        p.ipProtocol = next;
        p.decodeError = DecodeError.NETWORK;
    }

    /**
     * @param l4 start of the transport header
     * @param ipEnd end of the IP packet as its header states it (may lie beyond the captured bytes)
     * @param end end of the captured bytes
     */
    private static void decodeTransport(Packet p, byte[] d, int l4, int ipEnd, int end, int start) {
        switch (p.ipProtocol) {
            case Packet.PROTO_TCP:
                decodeTcp(p, d, l4, ipEnd, end, start);
                break;
            case Packet.PROTO_UDP:
                decodeUdp(p, d, l4, ipEnd, end, start);
                break;
            case Packet.PROTO_ICMP:
            case Packet.PROTO_ICMPV6:
                decodeIcmp(p, d, l4, end, start);
                break;
            default:
                break;
        }
    }

    private static void decodeTcp(Packet p, byte[] d, int tcp, int ipEnd, int end, int start) {
        if (end - tcp < 20 || ipEnd - tcp < 20) {
            p.decodeError = DecodeError.TRANSPORT;
            return;
        }
        p.transportOffset = tcp - start;
        p.srcPort = u16(d, tcp);
        p.dstPort = u16(d, tcp + 2);
        p.seq = i32(d, tcp + 4) & 0xffffffffL;
        p.ack = i32(d, tcp + 8) & 0xffffffffL;
        int headerLength = ((d[tcp + 12] & 0xff) >>> 4) * 4;
        p.tcpFlags = d[tcp + 13] & 0xff;
        p.window = u16(d, tcp + 14);
        if (headerLength < 20 || ipEnd - tcp < headerLength) {
            p.decodeError = DecodeError.TRANSPORT;
            return;
        }
        p.tcpHeaderLength = headerLength;
        int payload = tcp + headerLength;
        p.payloadOffset = payload - start;
        p.payloadLength = ipEnd - payload;
        p.capturedPayloadLength = Math.max(0, Math.min(ipEnd, end) - payload);
        // The options are parsed when an accessor first asks for them (decodeTcpOptions).
    }

    /**
     * Reads the TCP options of a packet whose TCP header was decoded (defaults otherwise): MSS, window scale,
     * SACK permitted, SACK blocks and timestamps.
     */
    static void decodeTcpOptions(Packet p) {
        p.tcpOptionsRead = true;
        p.windowScale = -1;
        p.mss = -1;
        p.sackPermitted = false;
        p.sackBlockCount = 0;
        p.hasTimestampOption = false;
        p.tsVal = 0;
        p.tsEcr = 0;
        if (p.tcpHeaderLength < 20) {
            return;
        }
        byte[] d = p.data;
        int tcp = p.dataOffset + p.transportOffset;
        int optionsEnd = Math.min(tcp + p.tcpHeaderLength, p.dataOffset + p.capturedLength);
        for (int o = tcp + 20; o < optionsEnd; ) {
            int kind = d[o] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                o++;
                continue;
            }
            if (o + 1 >= optionsEnd) {
                break;
            }
            int len = d[o + 1] & 0xff;
            if (len < 2 || o + len > optionsEnd) {
                break;
            }
            switch (kind) {
                case 2:
                    if (len == 4) {
                        p.mss = u16(d, o + 2);
                    }
                    break;
                case 3:
                    if (len == 3) {
                        p.windowScale = d[o + 2] & 0xff;
                    }
                    break;
                case 4:
                    p.sackPermitted = true;
                    break;
                case 5:
                    int blocks = Math.min((len - 2) / 8, 4);
                    for (int b = 0; b < blocks; b++) {
                        p.sackEdges[2 * b] = i32(d, o + 2 + 8 * b) & 0xffffffffL;
                        p.sackEdges[2 * b + 1] = i32(d, o + 6 + 8 * b) & 0xffffffffL;
                    }
                    p.sackBlockCount = blocks;
                    break;
                case 8:
                    if (len == 10) {
                        p.hasTimestampOption = true;
                        p.tsVal = i32(d, o + 2) & 0xffffffffL;
                        p.tsEcr = i32(d, o + 6) & 0xffffffffL;
                    }
                    break;
                default:
                    break;
            }
            o += len;
        }
    }

    private static void decodeUdp(Packet p, byte[] d, int udp, int ipEnd, int end, int start) {
        if (end - udp < 8 || ipEnd - udp < 8) {
            p.decodeError = DecodeError.TRANSPORT;
            return;
        }
        p.transportOffset = udp - start;
        p.srcPort = u16(d, udp);
        p.dstPort = u16(d, udp + 2);
        int length = u16(d, udp + 4);
        int ipPayload = ipEnd - udp;
        if (length == 0) {
            // IPv6 jumbogram or a lazy stack: the IP length is the truth.
            length = ipPayload;
        }
        if (length < 8) {
            p.decodeError = DecodeError.TRANSPORT;
            return;
        }
        p.udpLength = length;
        int udpEnd = udp + Math.min(length, ipPayload);
        int payload = udp + 8;
        p.payloadOffset = payload - start;
        p.payloadLength = udpEnd - payload;
        p.capturedPayloadLength = Math.max(0, Math.min(udpEnd, end) - payload);
    }

    private static void decodeIcmp(Packet p, byte[] d, int icmp, int end, int start) {
        if (end - icmp < 4) {
            p.decodeError = DecodeError.TRANSPORT;
            return;
        }
        p.transportOffset = icmp - start;
        int type = d[icmp] & 0xff;
        p.icmpType = type;
        p.icmpCode = d[icmp + 1] & 0xff;
        boolean quotes;
        if (p.ipProtocol == Packet.PROTO_ICMP) {
            quotes = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
        } else {
            quotes = type >= 1 && type <= 4;
        }
        if (!quotes) {
            return;
        }
        // The quoted datagram is often cut short: take what is there, never flag it as damage.
        int inner = icmp + 8;
        if (end - inner < 1) {
            return;
        }
        int version = (d[inner] & 0xff) >>> 4;
        int l4;
        int protocol;
        if (version == 4 && end - inner >= 20) {
            int ihl = (d[inner] & 0x0f) * 4;
            if (ihl < 20) {
                return;
            }
            p.innerIpVersion = 4;
            protocol = d[inner + 9] & 0xff;
            p.innerSrcLo = Packet.ipv4MappedLo(i32(d, inner + 12));
            p.innerDstLo = Packet.ipv4MappedLo(i32(d, inner + 16));
            if ((u16(d, inner + 6) & 0x1fff) != 0) {
                p.innerIpProtocol = protocol;
                return;
            }
            l4 = inner + ihl;
        } else if (version == 6 && end - inner >= 40) {
            p.innerIpVersion = 6;
            p.innerSrcHi = i64(d, inner + 8);
            p.innerSrcLo = i64(d, inner + 16);
            p.innerDstHi = i64(d, inner + 24);
            p.innerDstLo = i64(d, inner + 32);
            protocol = d[inner + 6] & 0xff;
            l4 = inner + 40;
            for (int i = 0; i < MAX_IPV6_EXTENSIONS; i++) {
                if (protocol != 0 && protocol != 43 && protocol != 60 && protocol != 44 && protocol != 51) {
                    break;
                }
                if (end - l4 < 8) {
                    p.innerIpProtocol = protocol;
                    return;
                }
                int len;
                if (protocol == 44) {
                    if ((u16(d, l4 + 2) & 0xfff8) != 0) {
                        p.innerIpProtocol = d[l4] & 0xff;
                        return;
                    }
                    len = 8;
                } else if (protocol == 51) {
                    len = ((d[l4 + 1] & 0xff) + 2) * 4;
                } else {
                    len = ((d[l4 + 1] & 0xff) + 1) * 8;
                }
                protocol = d[l4] & 0xff;
                l4 += len;
            }
        } else {
            return;
        }
        p.innerIpProtocol = protocol;
        if ((protocol == Packet.PROTO_TCP || protocol == Packet.PROTO_UDP) && l4 >= inner && end - l4 >= 4) {
            p.innerSrcPort = u16(d, l4);
            p.innerDstPort = u16(d, l4 + 2);
        }
    }

    private static int u16(byte[] d, int o) {
        return (d[o] & 0xff) << 8 | (d[o + 1] & 0xff);
    }

    private static int i32(byte[] d, int o) {
        return (d[o] & 0xff) << 24 | (d[o + 1] & 0xff) << 16 | (d[o + 2] & 0xff) << 8 | (d[o + 3] & 0xff);
    }

    private static long i64(byte[] d, int o) {
        return (i32(d, o) & 0xffffffffL) << 32 | (i32(d, o + 4) & 0xffffffffL);
    }
}
