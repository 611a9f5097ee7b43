package io.github.capturepackets.analysis;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes small classic pcap files (LINKTYPE_RAW, IPv4) packet by packet, for unit tests that need exact control
 * over sequence numbers, flags and timing. Real-traffic agreement with tshark is tested on tcpdump captures.
 */
final class PcapBuilder {
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long micros = 1_700_000_000_000_000L;
    private int packets;

    PcapBuilder() {
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(101);
        out.writeBytes(h.array());
    }

    /** Advances the clock. */
    PcapBuilder after(long microseconds) {
        micros += microseconds;
        return this;
    }

    int packets() {
        return packets;
    }

    PcapBuilder tcp(String src, int sport, String dst, int dport, long seq, long ack, int flags, int window,
            byte[] payload) {
        ByteBuffer t = ByteBuffer.allocate(20 + payload.length);
        t.putShort((short) sport).putShort((short) dport).putInt((int) seq).putInt((int) ack);
        t.put((byte) (5 << 4)).put((byte) flags).putShort((short) window).putShort((short) 0).putShort((short) 0);
        t.put(payload);
        return ip(src, dst, 6, t.array());
    }

    PcapBuilder tcp(String src, int sport, String dst, int dport, long seq, long ack, int flags, int window,
            int payloadLength) {
        return tcp(src, sport, dst, dport, seq, ack, flags, window, new byte[payloadLength]);
    }

    PcapBuilder udp(String src, int sport, String dst, int dport, byte[] payload) {
        ByteBuffer u = ByteBuffer.allocate(8 + payload.length);
        u.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0);
        u.put(payload);
        return ip(src, dst, 17, u.array());
    }

    PcapBuilder ip(String src, String dst, int protocol, byte[] body) {
        ByteBuffer p = ByteBuffer.allocate(20 + body.length);
        p.put((byte) 0x45).put((byte) 0).putShort((short) (20 + body.length)).putShort((short) packets)
                .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0);
        p.put(address(src)).put(address(dst)).put(body);
        return record(p.array());
    }

    PcapBuilder record(byte[] data) {
        ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(data.length)
                .putInt(data.length);
        out.writeBytes(r.array());
        out.writeBytes(data);
        packets++;
        micros += 10;
        return this;
    }

    private static byte[] address(String dotted) {
        String[] parts = dotted.split("\\.");
        byte[] a = new byte[4];
        for (int i = 0; i < 4; i++) {
            a[i] = (byte) Integer.parseInt(parts[i]);
        }
        return a;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }

    /** A DNS message with one question ({@code A}, class IN) and, for a successful response, one A record. */
    static byte[] dns(int id, boolean response, int rcode, String name) {
        ByteBuffer b = ByteBuffer.allocate(512);
        boolean answer = response && rcode == 0;
        b.putShort((short) id).putShort((short) ((response ? 0x8180 : 0x0100) | rcode)).putShort((short) 1)
                .putShort((short) (answer ? 1 : 0)).putShort((short) 0).putShort((short) 0);
        for (String label : name.split("\\.")) {
            b.put((byte) label.length()).put(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        b.put((byte) 0).putShort((short) 1).putShort((short) 1);
        if (answer) {
            b.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(30).putShort((short) 4)
                    .put(new byte[] {10, 0, 0, 1});
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }
}
