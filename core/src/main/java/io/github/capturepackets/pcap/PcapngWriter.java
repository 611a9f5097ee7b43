package io.github.capturepackets.pcap;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Streaming pcapng writer: one section, one Interface Description Block per source, Enhanced Packet Blocks with
 * nanosecond timestamps ({@code if_tsresol=9}) and optional comments, Interface Statistics Blocks.
 *
 * <p>Blocks are written little-endian in the order of the calls; memory does not grow with the packet count.
 * {@link #merge} combines several captures (pcap or pcapng) into one file ordered by time.
 */
public final class PcapngWriter implements AutoCloseable {

    private static final int SHB = 0x0a0d0d0a;
    private static final int IDB = 1;
    private static final int ISB = 5;
    private static final int EPB = 6;
    private static final int OPT_COMMENT = 1;
    private static final int OPT_SHB_USERAPPL = 4;
    private static final int OPT_IF_NAME = 2;
    private static final int OPT_IF_DESCRIPTION = 3;
    private static final int OPT_IF_TSRESOL = 9;
    private static final int OPT_ISB_IFRECV = 4;
    private static final int OPT_ISB_IFDROP = 5;
    private static final int OPT_ISB_FILTERACCEPT = 6;
    private static final int OPT_ISB_OSDROP = 7;
    private static final int OPT_ISB_USRDELIV = 8;
    private static final int MAX_OPTION = 65_535;

    private final OutputStream out;
    private final byte[] header = new byte[32];
    private final List<Integer> linkTypes = new ArrayList<>();
    private long packets;
    private boolean closed;

    private PcapngWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Starts a pcapng stream with a section header carrying the given comments.
     *
     * @param out where to write; buffered here and closed by {@link #close()}
     * @param sectionComments comments shown by {@code capinfos} (for example the test name)
     */
    public static PcapngWriter create(OutputStream out, List<String> sectionComments) throws IOException {
        Objects.requireNonNull(out, "out");
        PcapngWriter w = new PcapngWriter(new BufferedOutputStream(out, 1 << 20));
        try {
            w.writeSectionHeader(List.copyOf(sectionComments));
        } catch (IOException | RuntimeException e) {
            try {
                out.close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        return w;
    }

    /** Creates (or replaces) a pcapng file. */
    public static PcapngWriter create(Path file, List<String> sectionComments) throws IOException {
        Objects.requireNonNull(file, "file");
        return create(Files.newOutputStream(file), sectionComments);
    }

    /**
     * Declares an interface (one per capture source).
     *
     * @param linkTypeCode the {@code LINKTYPE_*} of the packets that will be written on it
     * @param snapLength the snap length, 0 for unlimited
     * @param name {@code if_name}, for example {@code namespace/pod}; may be null
     * @param description {@code if_description}; may be null
     * @param comments comments on the interface block
     * @return the interface id to pass to {@link #writePacket}
     */
    public int addInterface(int linkTypeCode, long snapLength, String name, String description, List<String> comments)
            throws IOException {
        checkOpen();
        if (linkTypeCode < 0 || linkTypeCode > 0xffff) {
            throw new IllegalArgumentException("link type " + linkTypeCode + " is outside 0..65535");
        }
        if (snapLength < 0 || snapLength > 0xffffffffL) {
            throw new IllegalArgumentException("snap length " + snapLength + " is outside 0..4294967295");
        }
        Options options = new Options();
        options.string(OPT_IF_NAME, name);
        options.string(OPT_IF_DESCRIPTION, description);
        options.add(OPT_IF_TSRESOL, new byte[] {9});
        for (String c : comments) {
            options.string(OPT_COMMENT, c);
        }
        byte[] opts = options.finish();
        int length = 20 + opts.length;
        putInt(0, IDB);
        putInt(4, length);
        putShort(8, linkTypeCode);
        putShort(10, 0);
        putInt(12, (int) snapLength);
        out.write(header, 0, 16);
        out.write(opts);
        putInt(0, length);
        out.write(header, 0, 4);
        linkTypes.add(linkTypeCode);
        return linkTypes.size() - 1;
    }

    /**
     * Writes one packet as an Enhanced Packet Block.
     *
     * @param timestampNanos capture time in nanoseconds since the epoch
     * @param comment a packet comment ({@code frame.comment} in tshark), or null
     */
    public void writePacket(int interfaceId, long timestampNanos, byte[] data, int offset, int capturedLength,
            long originalLength, String comment) throws IOException {
        checkOpen();
        checkInterface(interfaceId);
        Objects.checkFromIndexSize(offset, capturedLength, data.length);
        if (capturedLength > CaptureReader.MAX_PACKET_LENGTH) {
            throw new IllegalArgumentException("captured length " + capturedLength + " exceeds "
                    + CaptureReader.MAX_PACKET_LENGTH);
        }
        byte[] commentBytes = comment == null ? null : truncatedUtf8(comment);
        int padded = (capturedLength + 3) & ~3;
        int optionsLength = commentBytes == null ? 0 : 4 + ((commentBytes.length + 3) & ~3) + 4;
        int length = 32 + padded + optionsLength;
        putInt(0, EPB);
        putInt(4, length);
        putInt(8, interfaceId);
        putInt(12, (int) (timestampNanos >>> 32));
        putInt(16, (int) timestampNanos);
        putInt(20, capturedLength);
        putInt(24, (int) Math.min(Math.max(originalLength, capturedLength), 0xffffffffL));
        out.write(header, 0, 28);
        out.write(data, offset, capturedLength);
        writePadding(padded - capturedLength);
        if (commentBytes != null) {
            putShort(0, OPT_COMMENT);
            putShort(2, commentBytes.length);
            out.write(header, 0, 4);
            out.write(commentBytes);
            writePadding(((commentBytes.length + 3) & ~3) - commentBytes.length);
            putInt(0, 0);
            out.write(header, 0, 4);
        }
        putInt(0, length);
        out.write(header, 0, 4);
        packets++;
    }

    /**
     * Writes a packet as read by a {@link CaptureReader}: its bytes, lengths and timestamp (its comment too,
     * unless {@code comment} replaces it).
     */
    public void writePacket(int interfaceId, Packet packet, String comment) throws IOException {
        String c = comment != null ? comment : packet.comment();
        writePacket(interfaceId, packet.timestampNanos(), packet.data(), packet.dataOffset(), packet.capturedLength(),
                packet.originalLength(), c);
    }

    /**
     * Writes an Interface Statistics Block; negative counters are left out.
     *
     * @param stats counters; {@link InterfaceStatistics#interfaceId()} must name an interface of this writer
     * @param comment a comment on the block (for example why the counters are incomplete), or null
     */
    public void writeStatistics(InterfaceStatistics stats, String comment) throws IOException {
        checkOpen();
        checkInterface(stats.interfaceId());
        Options options = new Options();
        options.counter(OPT_ISB_IFRECV, stats.received());
        options.counter(OPT_ISB_IFDROP, stats.dropped());
        options.counter(OPT_ISB_FILTERACCEPT, stats.filterAccepted());
        options.counter(OPT_ISB_OSDROP, stats.osDropped());
        options.counter(OPT_ISB_USRDELIV, stats.delivered());
        options.string(OPT_COMMENT, comment);
        byte[] opts = options.finish();
        long ts = Math.max(0, stats.timestampNanos());
        int length = 24 + opts.length;
        putInt(0, ISB);
        putInt(4, length);
        putInt(8, stats.interfaceId());
        putInt(12, (int) (ts >>> 32));
        putInt(16, (int) ts);
        out.write(header, 0, 20);
        out.write(opts);
        putInt(0, length);
        out.write(header, 0, 4);
    }

    /** Number of interfaces declared. */
    public int interfaceCount() {
        return linkTypes.size();
    }

    /** Number of packets written. */
    public long packetCount() {
        return packets;
    }

    /** Flushes buffered blocks to the underlying stream. */
    public void flush() throws IOException {
        checkOpen();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }

    /**
     * Merges captures into one pcapng stream ordered by timestamp (stable: ties keep source order), streaming
     * every input through its own {@link CaptureReader} and holding one packet per input.
     *
     * <p>Each input interface becomes one output interface named after its source. Inputs that cannot be read
     * at all, and damage found in an input, are reported in the result and written as comments (section comments
     * and statistics block comments), so the merged file says what is missing. An Interface Statistics Block
     * closes each interface with the packet count and any counters the input carried.
     *
     * @param out the merged pcapng; closed when the merge ends
     */
    public static MergeResult merge(List<MergeSource> sources, OutputStream out, List<String> sectionComments)
            throws IOException {
        return PcapngMerger.merge(List.copyOf(sources), out, List.copyOf(sectionComments));
    }

    /** Merges captures into a pcapng file; see {@link #merge(List, OutputStream, List)}. */
    public static MergeResult merge(List<MergeSource> sources, Path output, List<String> sectionComments)
            throws IOException {
        Objects.requireNonNull(output, "output");
        return merge(sources, Files.newOutputStream(output), sectionComments);
    }

    // ------------------------------------------------------------------------------------------------ internals

    private void writeSectionHeader(List<String> comments) throws IOException {
        Options options = new Options();
        for (String c : comments) {
            options.string(OPT_COMMENT, c);
        }
        options.string(OPT_SHB_USERAPPL, "Capture Packets");
        byte[] opts = options.finish();
        int length = 28 + opts.length;
        putInt(0, SHB);
        putInt(4, length);
        putInt(8, 0x1a2b3c4d);
        putShort(12, 1);
        putShort(14, 0);
        putInt(16, -1);
        putInt(20, -1);
        out.write(header, 0, 24);
        out.write(opts);
        putInt(0, length);
        out.write(header, 0, 4);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the pcapng writer is closed");
        }
    }

    private void checkInterface(int interfaceId) {
        if (interfaceId < 0 || interfaceId >= linkTypes.size()) {
            throw new IllegalArgumentException("interface " + interfaceId + " was not declared (declared: "
                    + linkTypes.size() + "); call addInterface first");
        }
    }

    private void writePadding(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            out.write(0);
        }
    }

    private void putInt(int o, int v) {
        header[o] = (byte) v;
        header[o + 1] = (byte) (v >>> 8);
        header[o + 2] = (byte) (v >>> 16);
        header[o + 3] = (byte) (v >>> 24);
    }

    private void putShort(int o, int v) {
        header[o] = (byte) v;
        header[o + 1] = (byte) (v >>> 8);
    }

    /** UTF-8 bytes cut to what one option can hold, without splitting a character. */
    static byte[] truncatedUtf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_OPTION) {
            return b;
        }
        int n = MAX_OPTION;
        while (n > 0 && (b[n] & 0xc0) == 0x80) {
            n--;
        }
        byte[] cut = new byte[n];
        System.arraycopy(b, 0, cut, 0, n);
        return cut;
    }

    /** Little-endian option list builder for the rarely written blocks (allocation here is fine). */
    private static final class Options {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        void string(int code, String value) {
            if (value != null) {
                add(code, truncatedUtf8(value));
            }
        }

        void counter(int code, long value) {
            if (value >= 0) {
                byte[] b = new byte[8];
                for (int i = 0; i < 8; i++) {
                    b[i] = (byte) (value >>> (8 * i));
                }
                add(code, b);
            }
        }

        void add(int code, byte[] value) {
            bytes.write(code);
            bytes.write(code >>> 8);
            bytes.write(value.length);
            bytes.write(value.length >>> 8);
            bytes.write(value, 0, value.length);
            for (int i = value.length; (i & 3) != 0; i++) {
                bytes.write(0);
            }
        }

        byte[] finish() {
            if (bytes.size() == 0) {
                return new byte[0];
            }
            add(0, new byte[0]);
            return bytes.toByteArray();
        }
    }
}
