package io.github.capturepackets.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Streaming reader of pcap and pcapng captures from a file or a stream, decoding each packet's headers into a
 * reused {@link Packet}.
 *
 * <p>Memory is flat: the reader holds one buffer (4 MiB by default, grown only when a single valid record
 * needs more, never beyond {@link #MAX_PACKET_LENGTH} plus block overhead) and nothing per packet.
 *
 * <p>Bad input, two cases:
 * <ul>
 *   <li>Fatal at start: an empty input, an input that is not pcap/pcapng, or a file header that is cut off or
 *       unreadable. {@link #open} throws {@link CaptureFormatException}: there is nothing to analyze.
 *   <li>Partial: damage after the file header (a truncated tail, a corrupt record or block length, an I/O error
 *       while streaming). Every packet before the damage is delivered, reading then ends normally,
 *       {@link #complete()} returns {@code false} and {@link #problems()} says where and what.
 * </ul>
 * An interface with a link type the reader does not decode is not damage: its packets are delivered with
 * {@link DecodeError#UNSUPPORTED_LINK_TYPE} and a {@link CaptureProblem.Kind#UNSUPPORTED_LINK_TYPE} problem is
 * listed once. Reading never throws for bad packet contents.
 *
 * <p>Not thread-safe; one reader per thread.
 */
public final class CaptureReader implements AutoCloseable {

    /** Largest captured packet accepted (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD); longer records are corrupt. */
    public static final int MAX_PACKET_LENGTH = 262_144;

    /** Largest pcapng block the reader parses in memory (a maximal packet plus generous room for options). */
    static final int MAX_PARSED_BLOCK = MAX_PACKET_LENGTH + 65_536;

    /** Largest pcapng block of an ignored type (name resolution, custom...) that is skipped rather than refused. */
    static final int MAX_SKIPPED_BLOCK = 16 * 1024 * 1024;

    static final int DEFAULT_BUFFER = 4 * 1024 * 1024;

    private static final int PCAP_MAGIC_MICROS = 0xa1b2c3d4;
    private static final int PCAP_MAGIC_NANOS = 0xa1b23c4d;
    private static final int PCAPNG_SHB = 0x0a0d0d0a;
    private static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
    private static final int BLOCK_IDB = 1;
    private static final int BLOCK_OPB = 2;
    private static final int BLOCK_SPB = 3;
    private static final int BLOCK_ISB = 5;
    private static final int BLOCK_EPB = 6;

    /** Files at least this long are read ahead on a second thread (see {@link ReadAhead}). */
    static final long READ_AHEAD_MIN_SIZE = 16L * 1024 * 1024;

    private final String source;
    private final InputStream in;
    /** Null when the reader reads {@link #in} itself (streams, small files). */
    private final ReadAhead readAhead;
    private final CaptureFormat format;
    /** The reader's reused packet, framed and decoded by {@link #next()}. */
    private final Packet packet = new Packet();
    private final List<CaptureInterface> interfaces = new ArrayList<>();
    private final List<InterfaceStatistics> statistics = new ArrayList<>();
    private final List<String> sectionComments = new ArrayList<>();
    private final List<CaptureProblem> problems = new ArrayList<>();
    private final EnumSet<LinkType> linkTypes = EnumSet.noneOf(LinkType.class);

    private byte[] buf;
    private int pos;
    private int limit;
    /** Input offset of {@code buf[0]}. */
    private long base;
    private boolean eof;

    private boolean bigEndian;
    private boolean finished;
    private boolean damaged;
    private long frames;

    // pcap
    private boolean nanos;
    private long pcapSnapLength;

    // pcapng: interfaces of the current section start at this index of the global list.
    private int sectionBase;
    // Per global interface id: timestamp conversion (see toNanos) and snap length.
    private long[] tsUnitDiv = new long[4];
    private long[] tsUnitMul = new long[4];
    private int[] tsShift = new int[4];
    private long[] tsOffsetNanos = new long[4];
    private LinkType[] ifLinkType = new LinkType[4];
    private int[] ifLinkCode = new int[4];
    private long[] ifSnap = new long[4];
    private long lastTimestamp;

    private CaptureReader(String source, InputStream in, int bufferSize, int readAheadChunk) throws IOException {
        this.source = source;
        this.in = in;
        if (readAheadChunk > 0) {
            this.buf = new byte[0];
            this.readAhead = new ReadAhead(in, source, readAheadChunk);
        } else {
            this.buf = new byte[bufferSize];
            this.readAhead = null;
        }
        try {
            this.format = readFileHeader();
        } catch (IOException | RuntimeException e) {
            if (readAhead != null) {
                readAhead.close();
            }
            throw e;
        }
    }

    /**
     * Opens a capture file and reads its file header.
     *
     * @throws CaptureFormatException if the file is empty, not a capture, or its header is cut off or damaged
     * @throws IOException if the file cannot be opened or read
     */
    public static CaptureReader open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        // Small files get a small buffer (tests open thousands); pipes and devices report no size.
        int bufferSize = DEFAULT_BUFFER;
        int readAheadChunk = 0;
        if (Files.isRegularFile(file)) {
            long size = Files.size(file);
            bufferSize = (int) Math.max(64 * 1024, Math.min(DEFAULT_BUFFER, size + 64));
            if (size >= READ_AHEAD_MIN_SIZE) {
                readAheadChunk = ReadAhead.DEFAULT_CHUNK;
            }
        }
        return open(Files.newInputStream(file), file.toString(), bufferSize, readAheadChunk);
    }

    /**
     * Checks that a file is a capture by reading its file header only, with a small buffer and no read-ahead: what
     * a command line checks before the work starts, without the cost of opening the file for a full read.
     *
     * @throws CaptureFormatException if the file is empty, not a capture, or its header is cut off or damaged
     * @throws IOException if the file cannot be opened or read
     */
    public static CaptureFormat probe(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (CaptureReader reader = open(Files.newInputStream(file), file.toString(), PROBE_BUFFER, 0)) {
            return reader.format();
        }
    }

    /** Enough for a pcap file header or a usual pcapng section header; the buffer grows for a longer one. */
    static final int PROBE_BUFFER = 4096;

    /**
     * Opens a capture arriving as a stream (for example tcpdump's output over the Kubernetes API) and reads its
     * file header. The reader closes the stream when it is closed, also when this method throws.
     *
     * @param sourceName how problems name this input (a file name, {@code namespace/pod})
     * @throws CaptureFormatException if the stream is empty, not a capture, or its header is cut off or damaged
     * @throws IOException if the stream fails before the header is read
     */
    public static CaptureReader open(InputStream in, String sourceName) throws IOException {
        return open(in, sourceName, DEFAULT_BUFFER);
    }

    static CaptureReader open(InputStream in, String sourceName, int bufferSize) throws IOException {
        return open(in, sourceName, bufferSize, 0);
    }

    /**
     * @param readAheadChunk bytes per read of a {@link ReadAhead} thread, or 0 to read on the caller's thread
     */
    static CaptureReader open(InputStream in, String sourceName, int bufferSize, int readAheadChunk)
            throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(sourceName, "sourceName");
        try {
            return new CaptureReader(sourceName, in, bufferSize, readAheadChunk);
        } catch (IOException | RuntimeException e) {
            try {
                in.close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** The name used for this input in problems. */
    public String source() {
        return source;
    }

    /** pcap or pcapng. */
    public CaptureFormat format() {
        return format;
    }

    /**
     * Reads the next packet.
     *
     * @return the reader's reused packet, valid until the next call; {@code null} at the end of the input or of
     *     its readable part (see {@link #complete()})
     */
    public Packet next() {
        if (!frameNext()) {
            return null;
        }
        packet.frameNumber = ++frames;
        PacketDecoder.decode(packet);
        return packet;
    }

    /** Frames the next packet into {@link #packet}, not yet decoded; false at the end or after damage. */
    private boolean frameNext() {
        if (finished) {
            return false;
        }
        try {
            boolean got = format == CaptureFormat.PCAP ? nextPcapRecord() : nextPcapngPacket();
            if (!got) {
                finished = true;
                return false;
            }
        } catch (IOException e) {
            String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            damage(CaptureProblem.Kind.IO_ERROR, offset(), "reading failed: " + what);
            finished = true;
            return false;
        }
        return true;
    }

    /**
     * Delivers packets to the handler until the input ends, damage is found, or the handler returns false.
     * Can be called again after an early stop to continue.
     *
     * @return the number of packets delivered by this call
     */
    public long read(PacketHandler handler) {
        Objects.requireNonNull(handler, "handler");
        long delivered = 0;
        Packet p;
        while ((p = next()) != null) {
            delivered++;
            if (!handler.onPacket(p)) {
                break;
            }
        }
        return delivered;
    }

    /**
     * Whether everything read so far was intact: {@code false} once a truncated tail, a corrupt length or an I/O
     * error ended reading early. Stopping early from the handler does not make a capture incomplete.
     */
    public boolean complete() {
        return !damaged;
    }

    /** Whether the end of the input (or of its readable part) has been reached. */
    public boolean finished() {
        return finished;
    }

    /** Problems found so far, in input order (damage, unsupported link types). */
    public List<CaptureProblem> problems() {
        return Collections.unmodifiableList(new ArrayList<>(problems));
    }

    /** Link types of the interfaces declared so far (pcapng declares interfaces as it goes). */
    public Set<LinkType> linkTypes() {
        return Collections.unmodifiableSet(EnumSet.copyOf(linkTypes));
    }

    /** Interfaces declared so far, indexed by {@link CaptureInterface#id()}. */
    public List<CaptureInterface> interfaces() {
        return List.copyOf(interfaces);
    }

    /**
     * The interface a packet came from ({@link Packet#interfaceId()}), without copying the interface list.
     *
     * @throws IndexOutOfBoundsException if no such interface has been declared
     */
    public CaptureInterface captureInterface(int id) {
        return interfaces.get(id);
    }

    /** Interface statistics blocks read so far (pcapng only). */
    public List<InterfaceStatistics> statistics() {
        return List.copyOf(statistics);
    }

    /** Comments of the pcapng section headers read so far. */
    public List<String> sectionComments() {
        return List.copyOf(sectionComments);
    }

    /** Packets delivered so far. */
    public long packetCount() {
        return frames;
    }

    /** Input bytes consumed so far. */
    public long position() {
        return offset();
    }

    @Override
    public void close() throws IOException {
        finished = true;
        if (readAhead != null) {
            readAhead.close();
        }
        in.close();
    }

    // ---------------------------------------------------------------- file header

    private CaptureFormat readFileHeader() throws IOException {
        if (!ensure(4)) {
            if (limit - pos == 0) {
                throw fatal(CaptureProblem.Kind.EMPTY, 0, "the capture is empty (0 bytes)");
            }
            throw fatal(CaptureProblem.Kind.NOT_A_CAPTURE, 0,
                    "only " + (limit - pos) + " bytes, too short for a pcap or pcapng header");
        }
        int magicBe = be32(pos);
        if (magicBe == PCAP_MAGIC_MICROS || magicBe == PCAP_MAGIC_NANOS) {
            bigEndian = true;
            readPcapHeader(magicBe == PCAP_MAGIC_NANOS);
            return CaptureFormat.PCAP;
        }
        int magicLe = Integer.reverseBytes(magicBe);
        if (magicLe == PCAP_MAGIC_MICROS || magicLe == PCAP_MAGIC_NANOS) {
            bigEndian = false;
            readPcapHeader(magicLe == PCAP_MAGIC_NANOS);
            return CaptureFormat.PCAP;
        }
        if (magicBe == PCAPNG_SHB) {
            if (!readSectionHeader(true)) {
                throw fatal(CaptureProblem.Kind.TRUNCATED, 0, "the pcapng section header block is cut off");
            }
            return CaptureFormat.PCAPNG;
        }
        throw fatal(CaptureProblem.Kind.NOT_A_CAPTURE, 0, "not a pcap or pcapng capture (starts with bytes "
                + String.format("%08x", magicBe) + describeMagic(magicBe) + ")");
    }

    private static String describeMagic(int magic) {
        if ((magic >>> 16) == 0x1f8b) {
            return ", which is gzip: decompress it first";
        }
        if (magic == 0xa1b2cd34 || magic == 0x34cdb2a1) {
            return ", the old Kuznetzov format: convert it with editcap -F pcap";
        }
        return "";
    }

    private void readPcapHeader(boolean nanosecond) throws IOException {
        if (!ensure(24)) {
            throw fatal(CaptureProblem.Kind.TRUNCATED, 0,
                    "the pcap file header is cut off after " + (limit - pos) + " of 24 bytes");
        }
        nanos = nanosecond;
        int major = u16(pos + 4);
        if (major != 2) {
            throw fatal(CaptureProblem.Kind.NOT_A_CAPTURE, 4, "unsupported pcap version " + major + "." + u16(pos + 6));
        }
        pcapSnapLength = u32(pos + 16);
        int linkField = i32(pos + 20);
        // The upper bits may carry FCS information; the link type is the low 16 bits.
        int code = linkField & 0xffff;
        pos += 24;
        addInterface(code, pcapSnapLength, null, null, nanosecond ? 9 : 6, 0, List.of(), 20);
    }

    // ---------------------------------------------------------------- pcap records

    private boolean nextPcapRecord() throws IOException {
        long recordOffset = offset();
        if (!ensure(16)) {
            if (limit - pos > 0) {
                damage(CaptureProblem.Kind.TRUNCATED, recordOffset, "the last packet record header is cut off after "
                        + (limit - pos) + " of 16 bytes");
            }
            return false;
        }
        long seconds = u32(pos);
        long fraction = u32(pos + 4);
        long captured = u32(pos + 8);
        long original = u32(pos + 12);
        if (captured > MAX_PACKET_LENGTH) {
            damage(CaptureProblem.Kind.CORRUPT, recordOffset + 8, "packet record " + (frames + 1) + " claims "
                    + captured + " captured bytes, more than the maximum " + MAX_PACKET_LENGTH);
            return false;
        }
        int len = (int) captured;
        if (!ensure(16 + len)) {
            damage(CaptureProblem.Kind.TRUNCATED, recordOffset, "packet record " + (frames + 1) + " is cut off: "
                    + len + " bytes announced, " + Math.max(0, limit - pos - 16) + " present");
            return false;
        }
        Packet p = packet;
        p.timestampNanos = seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1000L);
        p.interfaceId = 0;
        p.linkType = ifLinkType[0];
        p.linkTypeCode = ifLinkCode[0];
        p.capturedLength = len;
        p.originalLength = original;
        p.data = buf;
        p.dataOffset = pos + 16;
        p.commentOffset = -1;
        pos += 16 + len;
        return true;
    }

    // ---------------------------------------------------------------- pcapng blocks

    /** Reads blocks until one yields a packet; false at the end or after damage. */
    private boolean nextPcapngPacket() throws IOException {
        while (true) {
            long blockOffset = offset();
            if (!ensure(12)) {
                if (limit - pos > 0) {
                    damage(CaptureProblem.Kind.TRUNCATED, blockOffset, "the last block is cut off after "
                            + (limit - pos) + " bytes");
                }
                return false;
            }
            int type = be32(pos);
            if (type == PCAPNG_SHB) {
                if (!readSectionHeader(false)) {
                    return false;
                }
                continue;
            }
            long length = u32(pos + 4);
            if (length < 12 || (length & 3) != 0) {
                damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, "block of type 0x" + Integer.toHexString(type)
                        + " has an impossible length " + length + " (must be a multiple of 4, at least 12)");
                return false;
            }
            int blockType = i32(pos);
            boolean parsed = blockType == BLOCK_EPB || blockType == BLOCK_SPB || blockType == BLOCK_IDB
                    || blockType == BLOCK_ISB || blockType == BLOCK_OPB;
            if (!parsed) {
                if (!skipBlock(blockOffset, length, blockType)) {
                    return false;
                }
                continue;
            }
            if (length > MAX_PARSED_BLOCK) {
                damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, blockName(blockType) + " claims " + length
                        + " bytes, more than the maximum " + MAX_PARSED_BLOCK);
                return false;
            }
            int len = (int) length;
            if (!ensure(len)) {
                damage(CaptureProblem.Kind.TRUNCATED, blockOffset, blockName(blockType) + " is cut off: " + len
                        + " bytes announced, " + (limit - pos) + " present");
                return false;
            }
            if (u32(pos + len - 4) != length) {
                damage(CaptureProblem.Kind.CORRUPT, blockOffset + len - 4, blockName(blockType) + " of " + len
                        + " bytes ends with a different length " + u32(pos + len - 4));
                return false;
            }
            int start = pos;
            boolean ok;
            boolean isPacket = false;
            switch (blockType) {
                case BLOCK_EPB:
                    ok = parseEpb(start, len, blockOffset);
                    isPacket = true;
                    break;
                case BLOCK_SPB:
                    ok = parseSpb(start, len, blockOffset);
                    isPacket = true;
                    break;
                case BLOCK_OPB:
                    ok = parseOpb(start, len, blockOffset);
                    isPacket = true;
                    break;
                case BLOCK_IDB:
                    ok = parseIdb(start, len, blockOffset);
                    break;
                default:
                    ok = parseIsb(start, len, blockOffset);
                    break;
            }
            if (!ok) {
                return false;
            }
            pos = start + len;
            if (isPacket) {
                return true;
            }
        }
    }

    private static String blockName(int type) {
        switch (type) {
            case BLOCK_EPB:
                return "enhanced packet block";
            case BLOCK_SPB:
                return "simple packet block";
            case BLOCK_OPB:
                return "packet block";
            case BLOCK_IDB:
                return "interface description block";
            case BLOCK_ISB:
                return "interface statistics block";
            default:
                return "block of type 0x" + Integer.toHexString(type);
        }
    }

    /** Skips a block the reader ignores, streaming through it without holding it. */
    private boolean skipBlock(long blockOffset, long length, int blockType) throws IOException {
        if (length > MAX_SKIPPED_BLOCK) {
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, blockName(blockType) + " claims " + length
                    + " bytes, more than the maximum " + MAX_SKIPPED_BLOCK);
            return false;
        }
        long remaining = length - 4;
        while (remaining > 0) {
            if (limit - pos == 0 && !fill()) {
                damage(CaptureProblem.Kind.TRUNCATED, blockOffset, blockName(blockType) + " is cut off: " + length
                        + " bytes announced");
                return false;
            }
            int n = (int) Math.min(remaining, limit - pos);
            pos += n;
            remaining -= n;
        }
        if (!ensure(4)) {
            damage(CaptureProblem.Kind.TRUNCATED, blockOffset, blockName(blockType) + " is cut off: " + length
                    + " bytes announced");
            return false;
        }
        long trailer = u32(pos);
        if (trailer != length) {
            damage(CaptureProblem.Kind.CORRUPT, offset(), blockName(blockType) + " of " + length
                    + " bytes ends with a different length " + trailer);
            return false;
        }
        pos += 4;
        return true;
    }

    /**
     * Reads a section header block at {@code pos}, which sets the byte order of the section.
     *
     * @param first whether this is the file header (damage is then fatal and thrown)
     */
    private boolean readSectionHeader(boolean first) throws IOException {
        long blockOffset = offset();
        if (!ensure(28)) {
            if (first) {
                throw fatal(CaptureProblem.Kind.TRUNCATED, blockOffset,
                        "the pcapng section header block is cut off after " + (limit - pos) + " bytes");
            }
            damage(CaptureProblem.Kind.TRUNCATED, blockOffset, "a section header block is cut off");
            return false;
        }
        int orderBe = be32(pos + 8);
        boolean big;
        if (orderBe == PCAPNG_BYTE_ORDER_MAGIC) {
            big = true;
        } else if (Integer.reverseBytes(orderBe) == PCAPNG_BYTE_ORDER_MAGIC) {
            big = false;
        } else {
            if (first) {
                throw fatal(CaptureProblem.Kind.NOT_A_CAPTURE, blockOffset + 8,
                        "starts like pcapng but the byte-order magic is " + String.format("%08x", orderBe));
            }
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 8, "a section header block has a wrong byte-order magic "
                    + String.format("%08x", orderBe));
            return false;
        }
        bigEndian = big;
        long length = u32(pos + 4);
        int major = u16(pos + 12);
        String bad = null;
        if (length < 28 || (length & 3) != 0) {
            bad = "section header block has an impossible length " + length;
        } else if (length > MAX_PARSED_BLOCK) {
            bad = "section header block claims " + length + " bytes, more than the maximum " + MAX_PARSED_BLOCK;
        } else if (major != 1) {
            bad = "pcapng version " + major + "." + u16(pos + 14) + " is not supported (only 1.x)";
        }
        if (bad != null) {
            if (first) {
                throw fatal(CaptureProblem.Kind.CORRUPT, blockOffset, bad);
            }
            damage(CaptureProblem.Kind.CORRUPT, blockOffset, bad);
            return false;
        }
        int len = (int) length;
        if (!ensure(len)) {
            if (first) {
                throw fatal(CaptureProblem.Kind.TRUNCATED, blockOffset, "the pcapng section header block is cut off");
            }
            damage(CaptureProblem.Kind.TRUNCATED, blockOffset, "a section header block is cut off");
            return false;
        }
        if (u32(pos + len - 4) != length) {
            String detail = "section header block of " + len + " bytes ends with a different length "
                    + u32(pos + len - 4);
            if (first) {
                throw fatal(CaptureProblem.Kind.CORRUPT, blockOffset + len - 4, detail);
            }
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + len - 4, detail);
            return false;
        }
        int end = pos + len - 4;
        for (int o = pos + 24; o + 4 <= end; ) {
            int code = u16(o);
            int olen = u16(o + 2);
            if (code == 0 || o + 4 + olen > end) {
                break;
            }
            if (code == 1) {
                sectionComments.add(utf8(o + 4, olen));
            }
            o += 4 + ((olen + 3) & ~3);
        }
        sectionBase = interfaces.size();
        pos += len;
        return true;
    }

    private boolean parseIdb(int start, int len, long blockOffset) {
        if (len < 20) {
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, "interface description block is too short (" + len
                    + " bytes)");
            return false;
        }
        int code = u16(start + 8);
        long snap = u32(start + 12);
        String name = null;
        String description = null;
        int tsresol = 6;
        long tsoffset = 0;
        List<String> comments = new ArrayList<>(0);
        int end = start + len - 4;
        for (int o = start + 16; o + 4 <= end; ) {
            int opt = u16(o);
            int olen = u16(o + 2);
            if (opt == 0 || o + 4 + olen > end) {
                break;
            }
            switch (opt) {
                case 1:
                    comments.add(utf8(o + 4, olen));
                    break;
                case 2:
                    name = utf8(o + 4, olen);
                    break;
                case 3:
                    description = utf8(o + 4, olen);
                    break;
                case 9:
                    if (olen >= 1) {
                        tsresol = buf[o + 4] & 0xff;
                    }
                    break;
                case 14:
                    if (olen >= 8) {
                        tsoffset = i64(o + 4);
                    }
                    break;
                default:
                    break;
            }
            o += 4 + ((olen + 3) & ~3);
        }
        addInterface(code, snap, name, description, tsresol, tsoffset, comments, blockOffset);
        return true;
    }

    private boolean parseEpb(int start, int len, long blockOffset) {
        return parsePacketBlock(start, len, blockOffset, "enhanced packet block", len < 32 ? 0 : u32(start + 8));
    }

    /** The obsolete packet block has the enhanced one's layout, with a 16-bit interface id and a drops count. */
    private boolean parseOpb(int start, int len, long blockOffset) {
        return parsePacketBlock(start, len, blockOffset, "packet block", len < 32 ? 0 : u16(start + 8));
    }

    private boolean parsePacketBlock(int start, int len, long blockOffset, String kind, long iface) {
        if (len < 32) {
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, kind + " is too short (" + len + " bytes)");
            return false;
        }
        long captured = u32(start + 20);
        int bodyEnd = start + len - 4;
        if (captured > MAX_PACKET_LENGTH || start + 28 + captured > bodyEnd) {
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 20, kind + " claims " + captured
                    + " captured bytes, which do not fit its " + len + "-byte block");
            return false;
        }
        int id = checkInterface(iface, blockOffset + 8);
        if (id < 0) {
            return false;
        }
        int cap = (int) captured;
        long ts = (u32(start + 12) << 32) | u32(start + 16);
        setPacket(id, toNanos(id, ts), start + 28, cap, u32(start + 24));
        findComment(start + 28 + ((cap + 3) & ~3), bodyEnd);
        return true;
    }

    private boolean parseSpb(int start, int len, long blockOffset) {
        if (len < 16) {
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, "simple packet block is too short (" + len + " bytes)");
            return false;
        }
        int id = checkInterface(0, blockOffset);
        if (id < 0) {
            return false;
        }
        long original = u32(start + 8);
        long room = len - 16L;
        long captured = Math.min(original, room);
        long snap = ifSnap[id];
        if (snap > 0) {
            captured = Math.min(captured, snap);
        }
        captured = Math.min(captured, MAX_PACKET_LENGTH);
        // A simple packet block has no timestamp: keep the previous packet's so time never runs backwards.
        setPacket(id, lastTimestamp, start + 12, (int) captured, original);
        packet.commentOffset = -1;
        return true;
    }

    private boolean parseIsb(int start, int len, long blockOffset) {
        if (len < 24) {
            damage(CaptureProblem.Kind.CORRUPT, blockOffset + 4, "interface statistics block is too short (" + len
                    + " bytes)");
            return false;
        }
        int id = checkInterface(u32(start + 8), blockOffset + 8);
        if (id < 0) {
            return false;
        }
        long ts = toNanos(id, (u32(start + 12) << 32) | u32(start + 16));
        long received = -1;
        long dropped = -1;
        long accepted = -1;
        long osDropped = -1;
        long delivered = -1;
        int end = start + len - 4;
        for (int o = start + 20; o + 4 <= end; ) {
            int opt = u16(o);
            int olen = u16(o + 2);
            if (opt == 0 || o + 4 + olen > end) {
                break;
            }
            if (olen >= 8) {
                long v = i64(o + 4);
                switch (opt) {
                    case 4:
                        received = v;
                        break;
                    case 5:
                        dropped = v;
                        break;
                    case 6:
                        accepted = v;
                        break;
                    case 7:
                        osDropped = v;
                        break;
                    case 8:
                        delivered = v;
                        break;
                    default:
                        break;
                }
            }
            o += 4 + ((olen + 3) & ~3);
        }
        statistics.add(new InterfaceStatistics(id, ts, received, dropped, accepted, osDropped, delivered));
        return true;
    }

    /** Maps a section-local interface id to the global one, or records damage and returns -1. */
    private int checkInterface(long localId, long where) {
        long global = sectionBase + localId;
        if (localId < 0 || global >= interfaces.size()) {
            damage(CaptureProblem.Kind.CORRUPT, where, "a block refers to interface " + localId
                    + ", but the section describes only " + (interfaces.size() - sectionBase));
            return -1;
        }
        return (int) global;
    }

    private void setPacket(int id, long timestampNanos, int dataStart, int captured, long original) {
        Packet p = packet;
        p.timestampNanos = timestampNanos;
        p.interfaceId = id;
        p.linkType = ifLinkType[id];
        p.linkTypeCode = ifLinkCode[id];
        p.capturedLength = captured;
        p.originalLength = original;
        p.data = buf;
        p.dataOffset = dataStart;
        p.commentOffset = -1;
        lastTimestamp = timestampNanos;
    }

    /** Finds the first opt_comment among packet block options, without allocating. */
    private void findComment(int from, int end) {
        for (int o = from; o + 4 <= end; ) {
            int opt = u16(o);
            int olen = u16(o + 2);
            if (opt == 0 || o + 4 + olen > end) {
                return;
            }
            if (opt == 1) {
                packet.commentOffset = o + 4;
                packet.commentLength = olen;
                return;
            }
            o += 4 + ((olen + 3) & ~3);
        }
    }

    private void addInterface(int code, long snap, String name, String description, int tsresol, long tsoffset,
            List<String> comments, long where) {
        int id = interfaces.size();
        if (id == ifLinkType.length) {
            int n = id * 2;
            tsUnitDiv = Arrays.copyOf(tsUnitDiv, n);
            tsUnitMul = Arrays.copyOf(tsUnitMul, n);
            tsShift = Arrays.copyOf(tsShift, n);
            tsOffsetNanos = Arrays.copyOf(tsOffsetNanos, n);
            ifLinkType = Arrays.copyOf(ifLinkType, n);
            ifLinkCode = Arrays.copyOf(ifLinkCode, n);
            ifSnap = Arrays.copyOf(ifSnap, n);
        }
        LinkType type = LinkType.fromCode(code);
        ifLinkType[id] = type;
        ifLinkCode[id] = code;
        ifSnap[id] = snap;
        tsOffsetNanos[id] = tsoffset * 1_000_000_000L;
        double resolutionNanos;
        if ((tsresol & 0x80) == 0) {
            int exp = tsresol;
            tsShift[id] = -1;
            if (exp <= 9) {
                tsUnitMul[id] = pow10(9 - exp);
                tsUnitDiv[id] = 1;
            } else {
                tsUnitMul[id] = 1;
                // Beyond 10^-27 every realistic timestamp converts to 0 ns; keep the divisor finite.
                tsUnitDiv[id] = exp - 9 > 18 ? Long.MAX_VALUE : pow10(exp - 9);
            }
            resolutionNanos = Math.pow(10, 9 - exp);
        } else {
            int exp = Math.min(tsresol & 0x7f, 63);
            tsShift[id] = exp;
            resolutionNanos = 1e9 / Math.pow(2, exp);
        }
        linkTypes.add(type);
        interfaces.add(new CaptureInterface(id, type, code, snap, name, description, resolutionNanos, tsoffset,
                comments));
        if (type == LinkType.UNKNOWN) {
            problems.add(new CaptureProblem(source, where, CaptureProblem.Kind.UNSUPPORTED_LINK_TYPE,
                    "interface " + id + (name == null ? "" : " (" + name + ")") + " has link type " + code
                            + ", which is not decoded (supported: Ethernet, raw IP, Linux cooked SLL/SLL2, loopback)"));
        }
    }

    private static long pow10(int n) {
        long v = 1;
        for (int i = 0; i < n; i++) {
            v *= 10;
        }
        return v;
    }

    private long toNanos(int id, long units) {
        int shift = tsShift[id];
        long ns;
        if (shift < 0) {
            ns = tsUnitDiv[id] == 1 ? units * tsUnitMul[id] : Long.divideUnsigned(units, tsUnitDiv[id]);
        } else if (shift == 0) {
            ns = units * 1_000_000_000L;
        } else {
            long seconds = units >>> shift;
            long frac = units & ((1L << shift) - 1);
            int s = shift;
            if (s > 33) {
                frac >>>= s - 33;
                s = 33;
            }
            ns = seconds * 1_000_000_000L + ((frac * 1_000_000_000L) >>> s);
        }
        return ns + tsOffsetNanos[id];
    }

    // ---------------------------------------------------------------- buffer

    private long offset() {
        return base + pos;
    }

    /**
     * Makes at least {@code n} bytes available from {@code pos}. Grows the buffer only when it is full of real
     * input, so a corrupt length never allocates more than twice the bytes actually present.
     */
    private boolean ensure(int n) throws IOException {
        while (limit - pos < n) {
            if (eof) {
                return false;
            }
            if (readAhead != null) {
                nextChunk();
                continue;
            }
            if (buf.length - pos < n) {
                compact();
                if (buf.length < n && limit == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, n));
                }
            }
            readMore();
        }
        return true;
    }

    /** Refills when nothing is left; false at end of input. */
    private boolean fill() throws IOException {
        if (limit - pos > 0) {
            return true;
        }
        if (eof) {
            return false;
        }
        if (readAhead != null) {
            while (limit - pos == 0 && !eof) {
                nextChunk();
            }
            return limit - pos > 0;
        }
        base += pos;
        pos = 0;
        limit = 0;
        readMore();
        return limit > 0;
    }

    /**
     * Moves to the read-ahead thread's next buffer, the unparsed tail of the current one copied in front of its
     * data; sets {@code eof} at the end of the input.
     */
    private void nextChunk() throws IOException {
        ReadAhead.Chunk c = readAhead.next();
        if (c == null) {
            eof = true;
            return;
        }
        int remaining = limit - pos;
        byte[] next;
        int start;
        int end;
        if (remaining <= ReadAhead.HEADROOM) {
            next = c.buffer();
            start = ReadAhead.HEADROOM - remaining;
            end = ReadAhead.HEADROOM + c.length();
            System.arraycopy(buf, pos, next, start, remaining);
        } else {
            // Longer than any block the reader parses, so never needed; joined rather than refused all the same.
            next = new byte[remaining + c.length()];
            start = 0;
            end = next.length;
            System.arraycopy(buf, pos, next, 0, remaining);
            System.arraycopy(c.buffer(), ReadAhead.HEADROOM, next, remaining, c.length());
            readAhead.release(c.buffer());
        }
        if (readAhead.pooled(buf) && buf != next) {
            readAhead.release(buf);
        }
        base += pos - start;
        buf = next;
        pos = start;
        limit = end;
    }

    private void compact() {
        int remaining = limit - pos;
        System.arraycopy(buf, pos, buf, 0, remaining);
        base += pos;
        pos = 0;
        limit = remaining;
    }

    private void readMore() throws IOException {
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            eof = true;
        } else {
            limit += n;
        }
    }

    // ---------------------------------------------------------------- problems

    private void damage(CaptureProblem.Kind kind, long where, String detail) {
        damaged = true;
        problems.add(new CaptureProblem(source, where, kind, detail));
    }

    private CaptureFormatException fatal(CaptureProblem.Kind kind, long where, String detail) {
        return new CaptureFormatException(new CaptureProblem(source, where, kind, detail));
    }

    // ---------------------------------------------------------------- byte access in the file's byte order

    private int be32(int o) {
        return (buf[o] & 0xff) << 24 | (buf[o + 1] & 0xff) << 16 | (buf[o + 2] & 0xff) << 8 | (buf[o + 3] & 0xff);
    }

    private int i32(int o) {
        int v = be32(o);
        return bigEndian ? v : Integer.reverseBytes(v);
    }

    private long u32(int o) {
        return i32(o) & 0xffffffffL;
    }

    private int u16(int o) {
        int v = (buf[o] & 0xff) << 8 | (buf[o + 1] & 0xff);
        return bigEndian ? v : Integer.reverseBytes(v) >>> 16;
    }

    private long i64(int o) {
        long hi = u32(o);
        long lo = u32(o + 4);
        return bigEndian ? (hi << 32 | lo) : (lo << 32 | hi);
    }

    private String utf8(int o, int len) {
        int n = len;
        while (n > 0 && buf[o + n - 1] == 0) {
            n--;
        }
        return new String(buf, o, n, StandardCharsets.UTF_8);
    }
}
