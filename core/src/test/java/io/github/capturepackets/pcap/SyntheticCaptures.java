package io.github.capturepackets.pcap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Hand-built captures for what tcpdump does not produce on loopback (checked against tshark where it matters). */
final class SyntheticCaptures {

    private SyntheticCaptures() {}

    /** A little-endian microsecond pcap with one record per frame, one second apart from 1.7e9. */
    static byte[] pcap(int linkType, List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262_144)
                .putInt(linkType);
        out.writeBytes(h.array());
        int i = 0;
        for (byte[] frame : frames) {
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(1_700_000_000 + i).putInt(i * 1000 + 1).putInt(frame.length).putInt(frame.length);
            out.writeBytes(r.array());
            out.writeBytes(frame);
            i++;
        }
        return out.toByteArray();
    }

    /** Ethernet frames of {@code size} bytes, EtherType 0x88b5 (local experimental), last byte = frame number. */
    static Path bigPackets(Path file, int count, int size) throws IOException {
        List<byte[]> frames = new java.util.ArrayList<>();
        for (int i = 1; i <= count; i++) {
            byte[] f = new byte[size];
            f[12] = (byte) 0x88;
            f[13] = (byte) 0xb5;
            f[size - 1] = (byte) i;
            frames.add(f);
        }
        Files.write(file, pcap(1, frames));
        return file;
    }

    /**
     * A pcapng builder for tests: sections in either byte order, interfaces with any resolution and offset,
     * EPB/SPB/OPB/ISB/NRB/custom blocks, comments.
     */
    static final class Pcapng {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

        Pcapng section(ByteOrder byteOrder, String... comments) {
            order = byteOrder;
            ByteBuffer body = buffer(16);
            body.putInt(0x1a2b3c4d).putShort((short) 1).putShort((short) 0).putLong(-1);
            block(0x0a0d0d0a, body.array(), options(1, comments));
            return this;
        }

        Pcapng idb(int linkType, int snap, String name, Integer tsresol, Long tsoffset, String... comments) {
            ByteBuffer body = buffer(8);
            body.putShort((short) linkType).putShort((short) 0).putInt(snap);
            ByteArrayOutputStream opts = new ByteArrayOutputStream();
            if (name != null) {
                opts.writeBytes(option(2, name.getBytes(StandardCharsets.UTF_8)));
            }
            if (tsresol != null) {
                opts.writeBytes(option(9, new byte[] {(byte) (int) tsresol}));
            }
            if (tsoffset != null) {
                opts.writeBytes(option(14, buffer(8).putLong(tsoffset).array()));
            }
            opts.writeBytes(options(1, comments));
            block(1, body.array(), opts.toByteArray());
            return this;
        }

        Pcapng epb(int iface, long timestampUnits, byte[] data, String comment) {
            ByteBuffer body = buffer(20 + pad(data.length));
            body.putInt(iface).putInt((int) (timestampUnits >>> 32)).putInt((int) timestampUnits).putInt(data.length)
                    .putInt(data.length).put(data);
            block(6, body.array(), comment == null ? new byte[0] : options(1, comment));
            return this;
        }

        Pcapng opb(int iface, long timestampUnits, byte[] data) {
            ByteBuffer body = buffer(20 + pad(data.length));
            body.putShort((short) iface).putShort((short) 0).putInt((int) (timestampUnits >>> 32))
                    .putInt((int) timestampUnits).putInt(data.length).putInt(data.length).put(data);
            block(2, body.array(), new byte[0]);
            return this;
        }

        Pcapng spb(byte[] data) {
            ByteBuffer body = buffer(4 + pad(data.length));
            body.putInt(data.length).put(data);
            block(3, body.array(), new byte[0]);
            return this;
        }

        Pcapng isb(int iface, long timestampUnits, long received, long dropped) {
            ByteBuffer body = buffer(12);
            body.putInt(iface).putInt((int) (timestampUnits >>> 32)).putInt((int) timestampUnits);
            ByteArrayOutputStream opts = new ByteArrayOutputStream();
            opts.writeBytes(option(4, buffer(8).putLong(received).array()));
            opts.writeBytes(option(5, buffer(8).putLong(dropped).array()));
            opts.writeBytes(option(0, new byte[0]));
            block(5, body.array(), opts.toByteArray());
            return this;
        }

        /** A name resolution block (ignored by the reader, skipped by length). */
        Pcapng nrb() {
            ByteBuffer body = buffer(16);
            body.putShort((short) 1).putShort((short) 12).put(new byte[] {127, 0, 0, 1}).put("lo\0\0".getBytes(
                    StandardCharsets.US_ASCII)).put(new byte[] {0, 0, 0, 0});
            block(4, body.array(), new byte[0]);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private ByteBuffer buffer(int n) {
            return ByteBuffer.allocate(n).order(order);
        }

        private static int pad(int n) {
            return (n + 3) & ~3;
        }

        private byte[] option(int code, byte[] value) {
            ByteBuffer b = buffer(4 + pad(value.length));
            b.putShort((short) code).putShort((short) value.length).put(value);
            return b.array();
        }

        private byte[] options(int code, String... values) {
            if (values.length == 0) {
                return new byte[0];
            }
            ByteArrayOutputStream opts = new ByteArrayOutputStream();
            for (String v : values) {
                opts.writeBytes(option(code, v.getBytes(StandardCharsets.UTF_8)));
            }
            opts.writeBytes(option(0, new byte[0]));
            return opts.toByteArray();
        }

        private void block(int type, byte[] body, byte[] options) {
            int length = 12 + body.length + options.length;
            ByteBuffer head = buffer(8);
            head.putInt(type).putInt(length);
            out.writeBytes(head.array());
            out.writeBytes(body);
            out.writeBytes(options);
            out.writeBytes(buffer(4).putInt(length).array());
        }
    }
}
