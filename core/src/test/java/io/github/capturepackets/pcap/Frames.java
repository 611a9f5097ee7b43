package io.github.capturepackets.pcap;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/** Builders of raw header bytes for crafted test packets (checksums are left 0: tshark does not verify them). */
final class Frames {

    private Frames() {}

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] addr(String text) {
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static byte[] ethernet(int etherType, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2}).putShort((short) etherType).put(payload);
        return b.array();
    }

    /** A VLAN tag body (TCI and the inner EtherType); the TPID is the EtherType before it. */
    static byte[] vlan(int vid, int innerType, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + payload.length);
        b.putShort((short) vid).putShort((short) innerType).put(payload);
        return b.array();
    }

    /** IPv4 with optional options; flagsOffset is the raw flags+fragment-offset field. */
    static byte[] ipv4(String src, String dst, int protocol, int id, int flagsOffset, byte[] options, byte[] payload) {
        int header = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(header + payload.length);
        b.put((byte) (0x40 | header / 4)).put((byte) 0).putShort((short) (header + payload.length)).putShort((short) id)
                .putShort((short) flagsOffset).put((byte) 64).put((byte) protocol).putShort((short) 0)
                .put(addr(src)).put(addr(dst)).put(options).put(payload);
        return b.array();
    }

    static byte[] ipv4(String src, String dst, int protocol, byte[] payload) {
        return ipv4(src, dst, protocol, 0x1234, 0x4000, new byte[0], payload);
    }

    static byte[] ipv6(String src, String dst, int next, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x60000000).putShort((short) payload.length).put((byte) next).put((byte) 63).put(addr(src))
                .put(addr(dst)).put(payload);
        return b.array();
    }

    /** A generic IPv6 extension header (hop-by-hop, routing, destination options) of 8 bytes. */
    static byte[] ext8(int next, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length);
        b.put((byte) next).put((byte) 0).put(new byte[] {1, 4, 0, 0, 0, 0}).put(rest);
        return b.array();
    }

    /** A routing header (type 0, no addresses, segments left 0) of 8 bytes. */
    static byte[] routing(int next, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length);
        b.put((byte) next).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0).put(rest);
        return b.array();
    }

    static byte[] fragment6(int next, int offsetBytes, boolean more, int id, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length);
        b.put((byte) next).put((byte) 0).putShort((short) (offsetBytes | (more ? 1 : 0))).putInt(id).put(rest);
        return b.array();
    }

    /** An authentication header with 12 bytes of ICV (payload length field 4 = (24 / 4) - 2). */
    static byte[] ah(int next, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(24 + rest.length);
        b.put((byte) next).put((byte) 4).putShort((short) 0).putInt(0x100).putInt(1).put(new byte[12]).put(rest);
        return b.array();
    }

    static byte[] tcp(int sport, int dport, long seq, long ack, int flags, int window, byte[] options,
            byte[] payload) {
        int header = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(header + payload.length);
        b.putShort((short) sport).putShort((short) dport).putInt((int) seq).putInt((int) ack)
                .put((byte) ((header / 4) << 4)).put((byte) flags).putShort((short) window).putShort((short) 0)
                .putShort((short) 0).put(options).put(payload);
        return b.array();
    }

    static byte[] udp(int sport, int dport, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        return b.array();
    }

    static byte[] icmp(int type, int code, byte[] quoted) {
        ByteBuffer b = ByteBuffer.allocate(8 + quoted.length);
        b.put((byte) type).put((byte) code).putShort((short) 0).putInt(0).put(quoted);
        return b.array();
    }

    /** SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
    static byte[] synOptions() {
        return new byte[] {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7};
    }

    /** NOP NOP SACK with two blocks, then padding to a multiple of 4. */
    static byte[] sackOptions(long l1, long r1, long l2, long r2) {
        ByteBuffer b = ByteBuffer.allocate(20);
        b.put((byte) 1).put((byte) 1).put((byte) 5).put((byte) 18).putInt((int) l1).putInt((int) r1).putInt((int) l2)
                .putInt((int) r2);
        return b.array();
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7);
        }
        return b;
    }

    static byte[] family(int af, boolean bigEndian, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + payload.length);
        b.putInt(bigEndian ? af : Integer.reverseBytes(af)).put(payload);
        return b.array();
    }
}
