package io.github.capturepackets.pcap;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * An endless-looking LINUX_SLL2 pcap produced on the fly (never held whole): {@code packets} records cycling
 * through 1,024 prebuilt TCP/UDP, IPv4/IPv6 packets, so memory use of a reader can be judged on any size.
 */
final class GeneratedCaptureStream extends InputStream {

    private final byte[] header;
    private final byte[] cycle;
    private final long total;
    private long position;

    GeneratedCaptureStream(long packets) {
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262_144).putInt(276);
        header = h.array();
        List<byte[]> records = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < 1024; i++) {
            byte[] l3;
            if (i % 4 == 3) {
                l3 = Frames.ipv6("fd00::1", "fd00::" + Integer.toHexString(2 + i % 50), 17,
                        Frames.udp(53, 40000 + i, Frames.bytes(60)));
            } else {
                l3 = Frames.ipv4("10.0.0.1", "10.0." + (i % 7) + "." + (i % 250), 6, Frames.tcp(8080, 30000 + i % 97,
                        1000L * i, 77, Packet.ACK | (i % 10 == 0 ? Packet.PSH : 0), 501, new byte[0],
                        Frames.bytes(i % 3 == 0 ? 1200 : 0)));
            }
            byte[] sll2 = new byte[20];
            sll2[0] = (byte) (i % 4 == 3 ? 0x86 : 0x08);
            sll2[1] = (byte) (i % 4 == 3 ? 0xdd : 0x00);
            sll2[7] = 2;
            byte[] frame = Frames.concat(sll2, l3);
            ByteBuffer r = ByteBuffer.allocate(16 + frame.length).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000 + i / 100).putInt((i % 100) * 10_000).putInt(frame.length).putInt(frame.length)
                    .put(frame);
            records.add(r.array());
            bytes += r.capacity();
        }
        cycle = new byte[(int) bytes];
        int o = 0;
        for (byte[] r : records) {
            System.arraycopy(r, 0, cycle, o, r.length);
            o += r.length;
        }
        if (packets % 1024 != 0) {
            throw new IllegalArgumentException("packets must be a multiple of 1024");
        }
        total = header.length + (packets / 1024) * cycle.length;
    }

    /** Size of the whole stream in bytes. */
    long size() {
        return total;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (position >= total) {
            return -1;
        }
        int n = 0;
        while (n < len && position < total) {
            int chunk;
            if (position < header.length) {
                chunk = (int) Math.min(len - n, header.length - position);
                System.arraycopy(header, (int) position, b, off + n, chunk);
            } else {
                int at = (int) ((position - header.length) % cycle.length);
                chunk = (int) Math.min(Math.min(len - n, cycle.length - at), total - position);
                System.arraycopy(cycle, at, b, off + n, chunk);
            }
            n += chunk;
            position += chunk;
        }
        return n;
    }
}
