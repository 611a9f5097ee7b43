package io.github.capturepackets.capture;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Copies one live pcap stream (tcpdump's {@code -w -}) to files, record by record: rotation starts a new file with
 * the same global header, limits stop writing at a record boundary, and open slices receive the records of their
 * time window. Only frames records (it never decodes packets), so it keeps up with tcpdump.
 */
final class PcapStreamSink {
    static final int GLOBAL_HEADER_LENGTH = 24;
    static final int RECORD_HEADER_LENGTH = 16;
    /** Larger than any snap length tcpdump accepts; a bigger length means the stream is not pcap or is corrupt. */
    private static final int MAX_RECORD_LENGTH = 262144 + 65536;

    /** Called once when a limit is reached, so the owner can stop tcpdump. */
    interface LimitListener {
        void limitReached(String reason);
    }

    private final Path base;
    private final CaptureLimits limits;
    private final LimitListener limitListener;
    private final List<Path> files = new ArrayList<>();
    private final List<SliceTap> taps = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    private byte[] globalHeader;
    private boolean bigEndian;
    private boolean nanos;
    private OutputStream out;
    private long fileBytes;
    private long recordsInFile;
    private long packets;
    /** Every record read, written or not (past a limit): what tcpdump's "captured" counter is compared with. */
    private long received;
    private long bytes;
    private String limitReason;
    private String streamProblem;
    private boolean finished;
    private Instant lastPacketTime;
    private long lastArrivalNanos = System.nanoTime();
    /** Smallest (arrival - capture timestamp) seen: the capture host's clock offset plus the shortest latency. */
    private long clockOffsetNanos = Long.MAX_VALUE;
    /** Below this, a positive offset is taken for delivery latency, not for a clock difference. */
    private static final long LATENCY_NOT_SKEW_NANOS = 1_000_000_000L;

    /**
     * @param base the first file's path without extension; rotated files get {@code -NNN} suffixes
     */
    PcapStreamSink(Path base, CaptureLimits limits, LimitListener limitListener) {
        this.base = base;
        this.limits = limits;
        this.limitListener = limitListener;
    }

    /** Reads the stream to its end (or until a limit), writing files. Never throws for stream problems. */
    void consume(InputStream in) {
        byte[] header = new byte[RECORD_HEADER_LENGTH];
        byte[] data = new byte[65536];
        try {
            byte[] global = new byte[GLOBAL_HEADER_LENGTH];
            int got = readFully(in, global, GLOBAL_HEADER_LENGTH);
            if (got == 0) {
                return;
            }
            if (got < GLOBAL_HEADER_LENGTH) {
                problem("the stream ended inside the pcap file header (" + got + " of 24 bytes)");
                return;
            }
            acceptGlobalHeader(global);
            while (true) {
                got = readFully(in, header, RECORD_HEADER_LENGTH);
                if (got == 0) {
                    return;
                }
                if (got < RECORD_HEADER_LENGTH) {
                    problem("the stream ended inside a packet record header (truncated last record dropped)");
                    return;
                }
                int capturedLength = readInt(header, 8);
                if (capturedLength < 0 || capturedLength > MAX_RECORD_LENGTH) {
                    problem("corrupt pcap stream: record length " + Integer.toUnsignedString(capturedLength)
                            + " after " + packets + " packets");
                    return;
                }
                if (data.length < capturedLength) {
                    data = new byte[capturedLength];
                }
                got = readFully(in, data, capturedLength);
                if (got < capturedLength) {
                    problem("the stream ended inside a packet record (truncated last record dropped)");
                    return;
                }
                acceptRecord(header, data, capturedLength);
                if (in.available() == 0) {
                    // End of a burst: put what arrived on disk (per packet would cost a syscall each).
                    flush();
                }
            }
        } catch (IOException e) {
            problem("reading the capture stream failed: " + e.getMessage());
        } finally {
            finish();
        }
    }

    private static int readFully(InputStream in, byte[] buffer, int length) throws IOException {
        int total = 0;
        while (total < length) {
            int n = in.read(buffer, total, length - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private void acceptGlobalHeader(byte[] global) throws IOException {
        int magicLe = (global[0] & 0xff) | (global[1] & 0xff) << 8 | (global[2] & 0xff) << 16 | (global[3] & 0xff) << 24;
        switch (magicLe) {
            case 0xa1b2c3d4 -> bigEndian = false;
            case 0xa1b23c4d -> {
                bigEndian = false;
                nanos = true;
            }
            case 0xd4c3b2a1 -> bigEndian = true;
            case 0x4d3cb2a1 -> {
                bigEndian = true;
                nanos = true;
            }
            default -> throw new IOException("not a pcap stream (magic 0x" + Integer.toHexString(magicLe)
                    + "); tcpdump must write with -w -");
        }
        synchronized (lock) {
            globalHeader = global.clone();
            for (SliceTap tap : taps) {
                tap.open(globalHeader);
            }
        }
    }

    private void acceptRecord(byte[] header, byte[] data, int length) throws IOException {
        long seconds = Integer.toUnsignedLong(readInt(header, 0));
        long fraction = Integer.toUnsignedLong(readInt(header, 4));
        Instant timestamp = Instant.ofEpochSecond(seconds, nanos ? fraction : fraction * 1000);
        long recordBytes = RECORD_HEADER_LENGTH + (long) length;
        synchronized (lock) {
            received++;
            lastArrivalNanos = System.nanoTime();
            Instant arrival = Instant.now();
            long offset = (arrival.getEpochSecond() - timestamp.getEpochSecond()) * 1_000_000_000L
                    + (arrival.getNano() - timestamp.getNano());
            clockOffsetNanos = Math.min(clockOffsetNanos, offset);
            lastPacketTime = timestamp;
            if (limitReason != null) {
                return;
            }
            if (limits.maxBytesPerPod() > 0 && bytes + recordBytes + (out == null ? GLOBAL_HEADER_LENGTH : 0)
                    > limits.maxBytesPerPod()) {
                reachLimit("byte limit of " + limits.maxBytesPerPod() + " bytes per pod reached after " + packets
                        + " packets");
                return;
            }
            if (out == null || (limits.rotateBytes() > 0 && recordsInFile > 0
                    && fileBytes + recordBytes > limits.rotateBytes())) {
                nextFile();
            }
            out.write(header, 0, RECORD_HEADER_LENGTH);
            out.write(data, 0, length);
            fileBytes += recordBytes;
            bytes += recordBytes;
            recordsInFile++;
            packets++;
            Instant localTime = timestamp.plusNanos(clockCorrectionNanos());
            for (SliceTap tap : taps) {
                tap.offer(localTime, header, data, length);
            }
            lock.notifyAll();
            if (limits.maxPacketsPerPod() > 0 && packets >= limits.maxPacketsPerPod()) {
                reachLimit("packet limit of " + limits.maxPacketsPerPod() + " packets per pod reached");
            }
        }
    }

    private void flush() throws IOException {
        synchronized (lock) {
            if (out != null) {
                out.flush();
            }
        }
    }

    private void reachLimit(String reason) {
        limitReason = reason;
        limitListener.limitReached(reason);
    }

    private void nextFile() throws IOException {
        if (out != null) {
            out.close();
        }
        Path file = limits.rotateBytes() > 0
                ? base.resolveSibling(base.getFileName() + String.format("-%03d.pcap", files.size()))
                : base.resolveSibling(base.getFileName() + ".pcap");
        out = new BufferedOutputStream(Files.newOutputStream(file), 65536);
        files.add(file);
        out.write(globalHeader);
        fileBytes = GLOBAL_HEADER_LENGTH;
        bytes += GLOBAL_HEADER_LENGTH;
        recordsInFile = 0;
    }

    private int readInt(byte[] b, int offset) {
        if (bigEndian) {
            return (b[offset] & 0xff) << 24 | (b[offset + 1] & 0xff) << 16 | (b[offset + 2] & 0xff) << 8
                    | (b[offset + 3] & 0xff);
        }
        return (b[offset] & 0xff) | (b[offset + 1] & 0xff) << 8 | (b[offset + 2] & 0xff) << 16
                | (b[offset + 3] & 0xff) << 24;
    }

    private void problem(String message) {
        synchronized (lock) {
            streamProblem = message;
        }
    }

    private void finish() {
        synchronized (lock) {
            try {
                if (out == null && globalHeader != null) {
                    // Keep an empty but valid file so "no packets" is visible rather than "no file".
                    nextFile();
                }
                if (out != null) {
                    out.close();
                }
            } catch (IOException e) {
                streamProblem = streamProblem == null ? "writing " + base + " failed: " + e.getMessage()
                        : streamProblem;
            }
            finished = true;
            lock.notifyAll();
        }
    }

    /** Opens a time window from {@code start} (local clock); records are written to {@code file}. */
    SliceTap openSlice(Path file, Instant start) throws IOException {
        synchronized (lock) {
            SliceTap tap = new SliceTap(file, start);
            if (globalHeader != null) {
                tap.open(globalHeader);
            }
            taps.add(tap);
            return tap;
        }
    }

    /**
     * Ends a window at {@code end}: waits until a record stamped at or after {@code end} arrived, the stream was
     * quiet for {@code quiet}, or {@code bound} passed, so packets still in flight are included. A stream that keeps
     * delivering records from before {@code end} (a spool's backlog) is waited for up to {@code bound}.
     */
    void closeSlice(SliceTap tap, Instant end, long quietMillis, long boundMillis) throws IOException {
        closeSlice(tap, end, quietMillis, boundMillis, -1);
    }

    /**
     * As {@link #closeSlice(SliceTap, Instant, long, long)}, and a quiet stream ends the wait only once
     * {@code capturedAtEnd} records arrived: what tcpdump had captured when it was asked at the window's end
     * (a spool may hold them back for a while; -1: unknown).
     */
    void closeSlice(SliceTap tap, Instant end, long quietMillis, long boundMillis, long capturedAtEnd)
            throws IOException {
        synchronized (lock) {
            tap.end = end;
            long closing = System.nanoTime();
            long deadline = closing + boundMillis * 1_000_000L;
            while (!finished) {
                long now = System.nanoTime();
                // tcpdump writes in time order: a record from past the end means the window is complete.
                if (lastPacketTime != null && !lastPacketTime.plusNanos(clockCorrectionNanos()).isBefore(end)) {
                    break;
                }
                // Quiet counts from when the slice began closing too: a stream that was quiet before the test's
                // last packets may still be delivering them.
                if (now - Math.max(lastArrivalNanos, closing) >= quietMillis * 1_000_000L
                        && received >= capturedAtEnd) {
                    break;
                }
                if (now >= deadline) {
                    tap.problem = "the slice was closed " + boundMillis / 1000 + " s after its end while packets of "
                            + "its window were still arriving (a backlog behind the exec stream): its last packets "
                            + "are missing from this slice";
                    break;
                }
                try {
                    lock.wait(Math.max(1, Math.min(quietMillis, (deadline - now) / 1_000_000L)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            taps.remove(tap);
            tap.close();
        }
    }

    /**
     * How far to shift capture timestamps onto our clock. Only a certain clock difference is corrected: a packet
     * cannot arrive before it was captured, so a negative offset proves the capture host's clock is ahead; an
     * offset above a second is no delivery latency. A small positive offset is mostly latency, and shifting by it
     * would push a test's last packets past the end of its slice.
     */
    private long clockCorrectionNanos() {
        if (clockOffsetNanos == Long.MAX_VALUE) {
            return 0;
        }
        return clockOffsetNanos < 0 || clockOffsetNanos > LATENCY_NOT_SKEW_NANOS ? clockOffsetNanos : 0;
    }

    List<Path> files() {
        synchronized (lock) {
            return List.copyOf(files);
        }
    }

    long packets() {
        synchronized (lock) {
            return packets;
        }
    }

    long bytes() {
        synchronized (lock) {
            return bytes;
        }
    }

    /** Every record read so far, written or not (past a limit). */
    long received() {
        synchronized (lock) {
            return received;
        }
    }

    String limitReason() {
        synchronized (lock) {
            return limitReason;
        }
    }

    String streamProblem() {
        synchronized (lock) {
            return streamProblem;
        }
    }

    boolean sawHeader() {
        synchronized (lock) {
            return globalHeader != null;
        }
    }

    /** One slice's view of the stream: records whose (clock-corrected) timestamp lies in [start, end). */
    static final class SliceTap {
        private final Path file;
        private final Instant start;
        private volatile Instant end;
        private volatile String problem;
        private OutputStream out;
        private long packets;
        private long bytes;

        private SliceTap(Path file, Instant start) {
            this.file = file;
            this.start = start;
        }

        private void open(byte[] globalHeader) {
            if (out != null) {
                return;
            }
            try {
                out = new BufferedOutputStream(Files.newOutputStream(file), 65536);
                out.write(globalHeader);
                bytes = GLOBAL_HEADER_LENGTH;
            } catch (IOException e) {
                problem = "writing " + file + " failed: " + e.getMessage();
            }
        }

        private void offer(Instant time, byte[] header, byte[] data, int length) {
            if (out == null || time.isBefore(start) || (end != null && !time.isBefore(end))) {
                return;
            }
            try {
                out.write(header, 0, RECORD_HEADER_LENGTH);
                out.write(data, 0, length);
                packets++;
                bytes += RECORD_HEADER_LENGTH + length;
            } catch (IOException e) {
                problem = "writing " + file + " failed: " + e.getMessage();
            }
        }

        private void close() throws IOException {
            if (out != null) {
                out.close();
            }
        }

        Path file() {
            return file;
        }

        /** The file, if a pcap header was ever seen (a stream that never started writes nothing). */
        boolean written() {
            return out != null;
        }

        long packets() {
            return packets;
        }

        long bytes() {
            return bytes;
        }

        String problem() {
            return problem;
        }
    }
}
