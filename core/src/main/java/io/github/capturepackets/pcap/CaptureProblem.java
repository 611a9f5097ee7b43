package io.github.capturepackets.pcap;

import java.util.Objects;

/**
 * One thing wrong with a capture: where it is and what it means for the user.
 *
 * @param source the file name or stream name given to the reader
 * @param offset byte offset in the input where the damage starts (-1 when not tied to a position)
 * @param kind what class of problem this is
 * @param detail what was wrong, in words (without the source and offset, which {@link #message()} adds)
 */
public record CaptureProblem(String source, long offset, Kind kind, String detail) {

    /** Classes of problem, from fatal-at-start to partial. */
    public enum Kind {
        /** The input has no bytes at all (fatal: nothing to read). */
        EMPTY,
        /** The input does not start with a pcap or pcapng header (fatal). */
        NOT_A_CAPTURE,
        /** The input ends inside a header or record: packets before it were delivered (partial). */
        TRUNCATED,
        /** A record or block length or field is impossible: packets before it were delivered (partial). */
        CORRUPT,
        /** An interface uses a link type the reader does not decode: its packets come without layers. */
        UNSUPPORTED_LINK_TYPE,
        /** Reading the input failed (disk or stream error): packets before it were delivered (partial). */
        IO_ERROR
    }

    public CaptureProblem {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    /** Whether the packets after this problem were lost (the capture is incomplete). */
    public boolean losesPackets() {
        return kind != Kind.UNSUPPORTED_LINK_TYPE;
    }

    /** A full sentence for a user: source, offset, what was wrong and what to do. */
    public String message() {
        String where = offset >= 0 ? source + " at byte " + offset : source;
        return where + ": " + detail + advice();
    }

    private String advice() {
        switch (kind) {
            case EMPTY:
                return ". The capture produced no data: check that tcpdump started and could write, then capture again.";
            case NOT_A_CAPTURE:
                return ". Give a pcap or pcapng file (for example written by tcpdump -w or dumpcap).";
            case TRUNCATED:
                return ". The packets before this point were read; the capture was probably cut off while being written or"
                        + " transferred: analysis covers the part that arrived.";
            case CORRUPT:
                return ". The packets before this point were read; the rest of the file cannot be trusted: capture again or"
                        + " cut the file with editcap.";
            case UNSUPPORTED_LINK_TYPE:
                return ". Its packets are counted but not decoded: capture with tcpdump -i any (LINUX_SLL2) or on an"
                        + " Ethernet interface.";
            case IO_ERROR:
                return ". The packets before this point were read; check the disk or the connection the capture came"
                        + " through.";
            default:
                return ".";
        }
    }

    @Override
    public String toString() {
        return kind + ": " + message();
    }
}
