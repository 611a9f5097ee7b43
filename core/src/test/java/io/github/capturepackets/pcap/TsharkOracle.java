package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Compares every packet our reader decodes with what tshark dissects from the same file, field by field.
 */
final class TsharkOracle {

    /** tshark field name to our value in tshark's text form; null means "not comparable for this packet". */
    private static final Map<String, Function<Packet, String>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("frame.number", p -> Long.toString(p.frameNumber()));
        FIELDS.put("frame.time_epoch", p -> epoch(p.timestampNanos()));
        FIELDS.put("frame.len", p -> Long.toString(p.originalLength()));
        FIELDS.put("frame.cap_len", p -> Integer.toString(p.capturedLength()));
        FIELDS.put("ip.src", p -> p.ipVersion() == 4 ? p.srcAddressText() : "");
        FIELDS.put("ip.dst", p -> p.ipVersion() == 4 ? p.dstAddressText() : "");
        FIELDS.put("ipv6.src", p -> p.ipVersion() == 6 ? p.srcAddressText() : "");
        FIELDS.put("ipv6.dst", p -> p.ipVersion() == 6 ? p.dstAddressText() : "");
        FIELDS.put("ip.proto", p -> p.ipVersion() == 4 ? Integer.toString(p.ipProtocol()) : "");
        FIELDS.put("ip.ttl", p -> p.ipVersion() == 4 ? Integer.toString(p.ttl()) : "");
        FIELDS.put("ipv6.hlim", p -> p.ipVersion() == 6 ? Integer.toString(p.ttl()) : "");
        FIELDS.put("tcp.srcport", p -> p.isTcp() ? Integer.toString(p.srcPort()) : quoted(p, Packet.PROTO_TCP, true));
        FIELDS.put("tcp.dstport", p -> p.isTcp() ? Integer.toString(p.dstPort()) : quoted(p, Packet.PROTO_TCP, false));
        FIELDS.put("tcp.seq_raw", p -> p.isTcp() ? Long.toString(p.seq()) : p.isIcmp() ? null : "");
        FIELDS.put("tcp.ack_raw", p -> p.isTcp() ? Long.toString(p.ack()) : p.isIcmp() ? null : "");
        FIELDS.put("tcp.flags", p -> p.isTcp() ? Integer.toString(p.tcpFlags()) : p.isIcmp() ? null : "");
        FIELDS.put("tcp.len", p -> p.isTcp() ? Integer.toString(p.payloadLength()) : p.isIcmp() ? null : "");
        FIELDS.put("tcp.hdr_len", p -> p.isTcp() ? Integer.toString(p.tcpHeaderLength()) : p.isIcmp() ? null : "");
        FIELDS.put("tcp.window_size_value", p -> p.isTcp() ? Integer.toString(p.window()) : p.isIcmp() ? null : "");
        FIELDS.put("tcp.options.wscale.shift", p -> p.windowScale() >= 0 ? Integer.toString(p.windowScale()) : "");
        FIELDS.put("tcp.options.mss_val", p -> p.mss() >= 0 ? Integer.toString(p.mss()) : "");
        FIELDS.put("tcp.options.sack_perm", p -> p.sackPermitted() ? "present" : "");
        FIELDS.put("udp.srcport", p -> p.isUdp() ? Integer.toString(p.srcPort()) : quoted(p, Packet.PROTO_UDP, true));
        FIELDS.put("udp.dstport", p -> p.isUdp() ? Integer.toString(p.dstPort()) : quoted(p, Packet.PROTO_UDP, false));
        FIELDS.put("udp.length", p -> p.isUdp() ? Integer.toString(p.udpLength()) : p.isIcmp() ? null : "");
        FIELDS.put("icmp.type", p -> p.ipProtocol() == 1 && p.isIcmp() ? Integer.toString(p.icmpType()) : "");
        FIELDS.put("icmp.code", p -> p.ipProtocol() == 1 && p.isIcmp() ? Integer.toString(p.icmpCode()) : "");
        FIELDS.put("icmpv6.type", p -> p.ipProtocol() == 58 && p.isIcmp() ? Integer.toString(p.icmpType()) : "");
        FIELDS.put("icmpv6.code", p -> p.ipProtocol() == 58 && p.isIcmp() ? Integer.toString(p.icmpCode()) : "");
        FIELDS.put("tcp.options.sack_le", p -> p.sackBlockCount() > 0 ? Long.toString(p.sackLeftEdge(0)) : "");
        FIELDS.put("tcp.options.sack_re", p -> p.sackBlockCount() > 0 ? Long.toString(p.sackRightEdge(0)) : "");
        FIELDS.put("tcp.options.timestamp.tsval", p -> p.hasTimestampOption() ? Long.toString(p.tsVal()) : "");
        FIELDS.put("tcp.options.timestamp.tsecr", p -> p.hasTimestampOption() ? Long.toString(p.tsEcr()) : "");
        FIELDS.put("ip.id", p -> p.ipVersion() == 4 ? Long.toString(p.ipId()) : p.isIcmp() ? null : "");
        // tshark shows the raw field (units of 8 bytes); we expose bytes.
        FIELDS.put("ip.frag_offset", p -> p.ipVersion() == 4 ? Integer.toString(p.fragmentOffset() / 8) : p.isIcmp() ? null : "");
        FIELDS.put("sll.pkttype", p -> p.sllPacketType() >= 0 ? Integer.toString(p.sllPacketType()) : "");
        FIELDS.put("sll.ifindex", p -> p.sllInterfaceIndex() >= 0 ? Integer.toString(p.sllInterfaceIndex()) : "");
    }

    private TsharkOracle() {}

    private static String quoted(Packet p, int protocol, boolean source) {
        if (!p.isIcmp()) {
            return "";
        }
        if (p.innerIpProtocol() != protocol || p.innerSrcPort() < 0) {
            return null;
        }
        return Integer.toString(source ? p.innerSrcPort() : p.innerDstPort());
    }

    static String epoch(long nanos) {
        return BigDecimal.valueOf(nanos, 9).toPlainString();
    }

    /**
     * Reads {@code file} with our reader and with tshark and asserts that every packet agrees on every field.
     *
     * @return the number of packets compared
     */
    static long assertAgrees(Path file) throws Exception {
        // Absolute SACK edges; no reassembly, so each fragment is dissected on its own like we decode it.
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-o", "tcp.relative_sequence_numbers:FALSE",
                "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-r", file.toString(), "-T", "fields",
                "-E", "separator=/t", "-E", "occurrence=f"));
        for (String field : FIELDS.keySet()) {
            command.add("-e");
            command.add(field);
        }
        List<String[]> tshark = new ArrayList<>();
        for (String line : Tools.run(command).split("\n")) {
            if (!line.isEmpty()) {
                tshark.add(line.split("\t", -1));
            }
        }
        List<String[]> inner = new ArrayList<>();
        // Inner (ICMP-quoted) addresses are the last occurrence; tshark garbles a field asked for twice, so
        // they come from a second run.
        List<String> lastCommand = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields",
                "-E", "separator=/t", "-E", "occurrence=l"));
        for (String field : List.of("ip.src", "ip.dst", "ipv6.src", "ipv6.dst")) {
            lastCommand.add("-e");
            lastCommand.add(field);
        }
        for (String line : Tools.run(lastCommand).split("\n")) {
            if (!line.isEmpty()) {
                inner.add(line.split("\t", -1));
            }
        }
        List<String> names = new ArrayList<>(FIELDS.keySet());
        long[] count = {0};
        try (CaptureReader reader = CaptureReader.open(file)) {
            reader.read(p -> {
                int i = (int) count[0]++;
                assertThat(i).as("our reader delivers no more packets than tshark (%s)", file).isLessThan(tshark.size());
                String[] row = tshark.get(i);
                for (int f = 0; f < names.size(); f++) {
                    String ours = FIELDS.get(names.get(f)).apply(p);
                    if (ours == null) {
                        continue;
                    }
                    String theirs = normalize(names.get(f), row[f]);
                    if (names.get(f).equals("frame.time_epoch") && theirs.isEmpty()) {
                        // A simple packet block has no timestamp; we carry the previous packet's, tshark shows none.
                        continue;
                    }
                    assertThat(ours).as("%s frame %d field %s (%s)", file.getFileName(), p.frameNumber(), names.get(f), p)
                            .isEqualTo(theirs);
                }
                if (p.innerIpVersion() != 0) {
                    String[] last = inner.get(i);
                    int at = p.innerIpVersion() == 4 ? 0 : 2;
                    assertThat(Packet.formatAddress(p.innerSrcHi(), p.innerSrcLo()))
                            .as("%s frame %d quoted source", file.getFileName(), p.frameNumber()).isEqualTo(last[at]);
                    assertThat(Packet.formatAddress(p.innerDstHi(), p.innerDstLo()))
                            .as("%s frame %d quoted destination", file.getFileName(), p.frameNumber())
                            .isEqualTo(last[at + 1]);
                }
                assertThat(p.decodeError()).as("%s frame %d decode error", file.getFileName(), p.frameNumber())
                        .isEqualTo(DecodeError.NONE);
                return true;
            });
            assertThat(reader.complete()).as("%s read completely: %s", file, reader.problems()).isTrue();
        }
        assertThat(count[0]).as("packets in %s", file).isEqualTo(tshark.size());
        return count[0];
    }

    private static String normalize(String field, String value) {
        if (field.equals("tcp.flags") && !value.isEmpty()) {
            // tshark prints 12 flag bits in hex (with the NS/AE bit); we expose the classic 8.
            return Integer.toString(Integer.decode(value) & 0xff);
        }
        if (field.equals("ip.id") && !value.isEmpty()) {
            return Integer.toString(Integer.decode(value));
        }
        if (field.equals("tcp.options.sack_perm") && !value.isEmpty()) {
            return "present";
        }
        return value;
    }
}
