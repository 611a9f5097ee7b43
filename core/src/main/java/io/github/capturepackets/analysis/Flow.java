package io.github.capturepackets.analysis;

import java.util.Arrays;

/**
 * Live state of one conversation, reused through {@link FlowTable}'s free list. Direction 0 is the side that sent
 * the first packet (or the SYN), direction 1 the other side. Only primitives, so the per-packet path allocates
 * nothing; the lazily created arrays exist only for flows that have findings or application state.
 */
final class Flow {
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;

    static final int APP_NONE = 0;
    static final int APP_HTTP = 1;
    static final int APP_DNS = 2;
    static final int APP_TLS = 3;

    // Key (direction 0 as seen first).
    int context;
    int protocol;
    long aHi;
    long aLo;
    long bHi;
    long bLo;
    int aPort;
    int bPort;
    int hash;

    long id;
    long packets;
    long bytes;
    long firstNanos;
    long lastNanos;
    long firstFrame;
    int application;
    /** The direction the client (SYN sender, or first sender) sends in. */
    int clientDir;

    // TCP connection state.
    boolean synSeen;
    boolean synAckSeen;
    boolean answered;
    boolean resetSeen;
    boolean refused;
    boolean finSeen0;
    boolean finSeen1;
    long synNanos;
    long synFrame;
    long handshakeRttNanos = -1;
    /** Wireshark's ts_mru_syn and ts_first_rtt (0 = unset), used for the out-of-order threshold. */
    long mruSynNanos;
    long firstRttNanos;
    final TcpDirection d0 = new TcpDirection();
    final TcpDirection d1 = new TcpDirection();

    // HTTP request times waiting for a response (a small ring; pipelining deeper than this is rare).
    long[] httpRequestNanos;
    boolean[] httpRequestIsHead;
    int httpHead;
    int httpCount;

    /**
     * Findings on this flow, sparse: bit {@code Rule.ordinal()} is set for each rule found on it, and
     * {@link #findingData} holds three longs per set bit, in ordinal order: count, first frame, first time. Most
     * flows have no finding or one, so this costs one small array (kept when the flow is reused) instead of an
     * entry for every rule.
     */
    long ruleMask;
    long[] findingData;

    void reset() {
        packets = 0;
        bytes = 0;
        application = APP_NONE;
        clientDir = 0;
        synSeen = false;
        synAckSeen = false;
        answered = false;
        resetSeen = false;
        refused = false;
        finSeen0 = false;
        finSeen1 = false;
        synNanos = 0;
        synFrame = 0;
        handshakeRttNanos = -1;
        mruSynNanos = 0;
        firstRttNanos = 0;
        d0.reset();
        d1.reset();
        httpHead = 0;
        httpCount = 0;
        ruleMask = 0;
    }

    /** A copy of what a summary reports, detached from the table (never reused, never updated). */
    Flow detachedCopy() {
        Flow c = new Flow();
        c.context = context;
        c.protocol = protocol;
        c.aHi = aHi;
        c.aLo = aLo;
        c.bHi = bHi;
        c.bLo = bLo;
        c.aPort = aPort;
        c.bPort = bPort;
        c.hash = hash;
        c.id = id;
        c.packets = packets;
        c.bytes = bytes;
        c.firstNanos = firstNanos;
        c.lastNanos = lastNanos;
        c.firstFrame = firstFrame;
        c.application = application;
        c.clientDir = clientDir;
        c.synSeen = synSeen;
        c.synAckSeen = synAckSeen;
        c.answered = answered;
        c.resetSeen = resetSeen;
        c.refused = refused;
        c.finSeen0 = finSeen0;
        c.finSeen1 = finSeen1;
        c.synNanos = synNanos;
        c.synFrame = synFrame;
        c.handshakeRttNanos = handshakeRttNanos;
        if (ruleMask != 0) {
            c.ruleMask = ruleMask;
            c.findingData = Arrays.copyOf(findingData, 3 * Long.bitCount(ruleMask));
        }
        return c;
    }

    TcpDirection dir(int d) {
        return d == 0 ? d0 : d1;
    }

    /** A TCP connection that is over: reset, closed both ways, or a SYN nobody answered. */
    boolean closed() {
        return resetSeen || (finSeen0 && finSeen1) || (synSeen && !answered);
    }

    void addFinding(Rule rule, long frame, long nanos) {
        long bit = 1L << rule.ordinal();
        int at = findingAt(rule.ordinal());
        if ((ruleMask & bit) == 0) {
            int used = 3 * Long.bitCount(ruleMask);
            if (findingData == null) {
                findingData = new long[6];
            } else if (used + 3 > findingData.length) {
                findingData = Arrays.copyOf(findingData, findingData.length * 2);
            }
            System.arraycopy(findingData, at, findingData, at + 3, used - at);
            ruleMask |= bit;
            findingData[at] = 0;
            findingData[at + 1] = frame;
            findingData[at + 2] = nanos;
        }
        findingData[at]++;
    }

    static {
        // The findings mask has one bit per rule.
        if (Rule.values().length > Long.SIZE) {
            throw new ExceptionInInitializerError("more than 64 rules: Flow.ruleMask needs to grow");
        }
    }

    boolean hasFindings() {
        return ruleMask != 0;
    }

    /**
     * Position in {@link #findingData} of a rule's count (then first frame, first time): where it is, or where it
     * goes when the rule has no finding yet.
     */
    int findingAt(int ordinal) {
        return 3 * Long.bitCount(ruleMask & ((1L << ordinal) - 1));
    }

    void pushHttpRequest(long nanos, boolean head) {
        if (httpRequestNanos == null) {
            httpRequestNanos = new long[8];
            httpRequestIsHead = new boolean[8];
        }
        if (httpCount == httpRequestNanos.length) {
            httpHead = (httpHead + 1) % httpRequestNanos.length;
            httpCount--;
        }
        int slot = (httpHead + httpCount) % httpRequestNanos.length;
        httpRequestNanos[slot] = nanos;
        httpRequestIsHead[slot] = head;
        httpCount++;
    }

    /** Whether the oldest pending request is a HEAD (its response has no body). */
    boolean oldestRequestIsHead() {
        return httpCount > 0 && httpRequestIsHead[httpHead];
    }

    /** The oldest pending request time, or -1. */
    long popHttpRequest() {
        if (httpCount == 0) {
            return -1;
        }
        long t = httpRequestNanos[httpHead];
        httpHead = (httpHead + 1) % httpRequestNanos.length;
        httpCount--;
        return t;
    }

    /**
     * Per-direction TCP state, named after Wireshark's {@code tcp_flow_t} and {@code tcp_analyze_seq_flow_info_t}
     * fields. Sequence numbers are raw 32-bit values held in ints, compared with wrap-around as Wireshark does.
     */
    static final class TcpDirection {
        boolean baseSeqSet;
        int baseSeq;
        int nextSeq;
        long nextSeqNanos;
        int maxSeqToBeAcked;
        int lastAck;
        long lastAckNanos;
        /** Last raw window; Wireshark starts at G_MAXUINT32, which no 16-bit window equals. */
        int window;
        int dupAckNum;
        int lastSegmentFlags;

        // Application reassembly hints for this direction: bytes still belonging to a previous HTTP body or TLS
        // record, so the next segment is not mistaken for a new message.
        long skipBytes;
        int expectSeq;
        boolean expectSeqValid;
        boolean chunked;
        /**
         * An HTTP message whose headers started but whose headers or body are not complete yet: Wireshark
         * (reassembling) reports it at the frame where it completes, and never when it does not.
         */
        int pendingHttp;
        int pendingStatus;
        boolean pendingInHeaders;
        long pendingContentLength;
        boolean pendingChunked;
        boolean pendingHead;
        /** A gap inside a message: like Wireshark's stalled reassembly, nothing more is parsed this way. */
        boolean stalled;
        boolean pendingFromRetransmission;
        // DNS over TCP: length-prefixed messages split over segments.
        byte[] dnsBuffer;
        int dnsBuffered;
        /**
         * Segments that arrived beyond a hole inside an HTTP body of known length, as sequence ranges [start, end),
         * sorted: Wireshark adds them to the message's reassembly, which completes once the hole is filled.
         */
        private int[] outOfOrder;
        private int outOfOrderRanges;

        TcpDirection() {
            reset();
        }

        void reset() {
            baseSeqSet = false;
            baseSeq = 0;
            nextSeq = 0;
            nextSeqNanos = 0;
            maxSeqToBeAcked = 0;
            lastAck = 0;
            lastAckNanos = 0;
            window = -1;
            dupAckNum = 0;
            lastSegmentFlags = 0;
            skipBytes = 0;
            expectSeq = 0;
            expectSeqValid = false;
            chunked = false;
            pendingHttp = 0;
            stalled = false;
            dnsBuffered = 0;
            outOfOrderRanges = 0;
        }

        static final int MAX_OUT_OF_ORDER_RANGES = 8;

        /**
         * Keeps [start, end) for later, merged with the kept ranges it touches (a train of segments beyond one hole
         * is one range); false when too many separate ranges are open (the message is then given up).
         */
        boolean addOutOfOrder(int start, int end) {
            if (outOfOrder == null) {
                outOfOrder = new int[2 * MAX_OUT_OF_ORDER_RANGES];
            }
            int[] o = outOfOrder;
            int at = 0;
            while (at < outOfOrderRanges && TcpSequenceAnalysis.lt(o[2 * at], start)) {
                at++;
            }
            if (at > 0 && !TcpSequenceAnalysis.lt(o[2 * at - 1], start)) {
                // Reaches the range before: extend it.
                at--;
                if (TcpSequenceAnalysis.lt(o[2 * at + 1], end)) {
                    o[2 * at + 1] = end;
                }
            } else if (at < outOfOrderRanges && !TcpSequenceAnalysis.lt(end, o[2 * at])) {
                // Reaches the range after: extend it backwards (and forwards if it goes further).
                o[2 * at] = start;
                if (TcpSequenceAnalysis.lt(o[2 * at + 1], end)) {
                    o[2 * at + 1] = end;
                }
            } else {
                if (outOfOrderRanges == MAX_OUT_OF_ORDER_RANGES) {
                    return false;
                }
                System.arraycopy(o, 2 * at, o, 2 * at + 2, 2 * (outOfOrderRanges - at));
                o[2 * at] = start;
                o[2 * at + 1] = end;
                outOfOrderRanges++;
            }
            // The grown range may now reach the ranges after it.
            int next = at + 1;
            while (next < outOfOrderRanges && !TcpSequenceAnalysis.lt(o[2 * at + 1], o[2 * next])) {
                if (TcpSequenceAnalysis.lt(o[2 * at + 1], o[2 * next + 1])) {
                    o[2 * at + 1] = o[2 * next + 1];
                }
                next++;
            }
            if (next > at + 1) {
                System.arraycopy(o, 2 * next, o, 2 * at + 2, 2 * (outOfOrderRanges - next));
                outOfOrderRanges -= next - at - 1;
            }
            return true;
        }

        /** Extends the contiguous data ending at {@code end} over the kept ranges it now reaches; the new end. */
        int joinOutOfOrder(int end) {
            int used = 0;
            while (used < outOfOrderRanges && !TcpSequenceAnalysis.lt(end, outOfOrder[2 * used])) {
                if (TcpSequenceAnalysis.lt(end, outOfOrder[2 * used + 1])) {
                    end = outOfOrder[2 * used + 1];
                }
                used++;
            }
            if (used > 0) {
                System.arraycopy(outOfOrder, 2 * used, outOfOrder, 0, 2 * (outOfOrderRanges - used));
                outOfOrderRanges -= used;
            }
            return end;
        }

        /** Where the first kept range starts; only with {@link #hasOutOfOrder()}. */
        int firstOutOfOrder() {
            return outOfOrder[0];
        }

        boolean hasOutOfOrder() {
            return outOfOrderRanges > 0;
        }

        void clearOutOfOrder() {
            outOfOrderRanges = 0;
        }
    }
}
