package io.github.capturepackets.analysis;

/**
 * Wireshark 4.0's TCP sequence analysis ({@code tcp_analyze_sequence_number} in
 * {@code epan/dissectors/packet-tcp.c}), one pass in frame order, so that our counts match the
 * {@code tcp.analysis.*} fields tshark computes on the same file. Inputs are the raw sequence and acknowledgment
 * numbers and the raw (unscaled) window, exactly as Wireshark passes them. The unacknowledged-segment list, used
 * there only for RTT and bytes in flight, is not kept.
 */
final class TcpSequenceAnalysis {
    static final int RETRANSMISSION = 0x0001;
    static final int LOST_PACKET = 0x0002;
    static final int ACK_LOST_PACKET = 0x0004;
    static final int KEEP_ALIVE = 0x0008;
    static final int DUPLICATE_ACK = 0x0010;
    static final int ZERO_WINDOW = 0x0020;
    static final int ZERO_WINDOW_PROBE = 0x0040;
    static final int ZERO_WINDOW_PROBE_ACK = 0x0080;
    static final int KEEP_ALIVE_ACK = 0x0100;
    static final int OUT_OF_ORDER = 0x0200;
    static final int FAST_RETRANSMISSION = 0x0400;
    static final int WINDOW_UPDATE = 0x0800;
    static final int REUSED_PORTS = 0x2000;
    static final int SPURIOUS_RETRANSMISSION = 0x4000;

    /** What {@code tcp.analysis.retransmission} matches: Wireshark adds it for all three kinds. */
    static final int ANY_RETRANSMISSION = RETRANSMISSION | FAST_RETRANSMISSION | SPURIOUS_RETRANSMISSION;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    private TcpSequenceAnalysis() {
    }

    static boolean gt(int x, int y) {
        return y - x < 0;
    }

    static boolean lt(int x, int y) {
        return x - y < 0;
    }

    static boolean le(int x, int y) {
        return x - y <= 0;
    }

    /**
     * Analyzes one segment. {@code fwd} is the sender's direction, {@code rev} the other one.
     *
     * @return the analysis flags ({@code TCP_A_*})
     */
    static int analyze(Flow flow, Flow.TcpDirection fwd, Flow.TcpDirection rev, int seq, int ack, int seglen,
            int flags, int window, long nanos) {
        int ta = 0;
        checks:
        {
            // Zero window probe: exactly one byte at the next expected sequence number into a zero window.
            if (seglen == 1 && seq == fwd.nextSeq && rev.window == 0) {
                ta |= ZERO_WINDOW_PROBE;
                break checks;
            }
            if (window == 0 && (flags & (RST | FIN | SYN)) == 0) {
                ta |= ZERO_WINDOW;
            }
            if (fwd.nextSeq != 0 && gt(seq, fwd.nextSeq) && (flags & RST) == 0) {
                ta |= LOST_PACKET;
            }
            if ((seglen == 0 || seglen == 1) && seq == fwd.nextSeq - 1 && (flags & (SYN | FIN | RST)) == 0) {
                ta |= KEEP_ALIVE;
            }
            if (seglen == 0 && window != 0 && window != fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck
                    && (flags & (SYN | FIN | RST)) == 0) {
                ta |= WINDOW_UPDATE;
            }
            if (seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck
                    && (rev.lastSegmentFlags & KEEP_ALIVE) != 0 && (flags & (SYN | FIN | RST)) == 0) {
                ta |= KEEP_ALIVE_ACK;
                break checks;
            }
            if (seglen == 0 && window == 0 && window == fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck
                    && (rev.lastSegmentFlags & ZERO_WINDOW_PROBE) != 0 && (flags & (SYN | FIN | RST)) == 0) {
                ta |= ZERO_WINDOW_PROBE_ACK;
                break checks;
            }
            if (seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck
                    && (flags & (SYN | FIN | RST)) == 0) {
                fwd.dupAckNum = fwd.dupAckNum == -1 ? 1 : fwd.dupAckNum + 1;
                ta |= DUPLICATE_ACK;
            }
        }
        // finished_fwd: a new ack number resets the duplicate-ack counter.
        if (ack != fwd.lastAck) {
            fwd.dupAckNum = 0;
        }
        if (rev.maxSeqToBeAcked != 0 && gt(ack, rev.maxSeqToBeAcked) && (flags & ACK) != 0) {
            if (lt(rev.maxSeqToBeAcked, rev.nextSeq)) {
                rev.maxSeqToBeAcked = rev.nextSeq;
                ta |= ACK_LOST_PACKET;
            } else {
                if (rev.dupAckNum == 0) {
                    ta |= ACK_LOST_PACKET;
                }
                rev.dupAckNum = -1;
            }
        }

        retransmissionType:
        if (seglen > 0 || (flags & (SYN | FIN)) != 0) {
            boolean seqNotAdvanced = fwd.nextSeq != 0 && lt(seq, fwd.nextSeq);
            if ((ta & KEEP_ALIVE) != 0) {
                break retransmissionType;
            }
            // Not a retransmission when it adds data right after a possible zero window probe.
            if (seglen > 1 && fwd.nextSeq - 1 == seq) {
                seqNotAdvanced = false;
            }
            if (seglen > 0 && rev.lastAck != 0 && le(seq + seglen, rev.lastAck)) {
                ta |= SPURIOUS_RETRANSMISSION;
                break retransmissionType;
            }
            // Fast retransmission takes precedence over out-of-order (tcp.fastrt_precedence defaults to TRUE).
            long sinceDupAck = nanos - rev.lastAckNanos;
            if (seqNotAdvanced && rev.dupAckNum >= 2 && rev.lastAck == seq
                    && Long.compareUnsigned(sinceDupAck, 20_000_000L) < 0) {
                ta |= FAST_RETRANSMISSION;
                break retransmissionType;
            }
            long sinceNextSeq = nanos - fwd.nextSeqNanos;
            long oooThreshold = flow.firstRttNanos == 0 ? 3_000_000L : flow.firstRttNanos;
            // Wireshark compares as unsigned 64-bit: a negative delta (time going backwards) is huge.
            if (seqNotAdvanced && Long.compareUnsigned(sinceNextSeq, oooThreshold) < 0
                    && fwd.nextSeq != seq + seglen + ((flags & (SYN | FIN)) != 0 ? 1 : 0)) {
                ta |= OUT_OF_ORDER;
                break retransmissionType;
            }
            if (seqNotAdvanced) {
                ta |= RETRANSMISSION;
            }
        }

        int nextSeq = seq + seglen;
        if ((seglen != 0 || (flags & (SYN | FIN)) != 0) && (flags & (SYN | FIN)) != 0) {
            nextSeq += 1;
        }
        if (gt(nextSeq, fwd.nextSeq) || fwd.nextSeq == 0) {
            if ((ta & ZERO_WINDOW_PROBE) == 0) {
                fwd.nextSeq = nextSeq;
                fwd.nextSeqNanos = nanos;
            }
        }
        if (seq == fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked == 0) {
            if ((ta & ZERO_WINDOW_PROBE) == 0) {
                fwd.maxSeqToBeAcked = fwd.nextSeq;
            }
        }
        fwd.window = window;
        fwd.lastAck = ack;
        fwd.lastAckNanos = nanos;
        fwd.lastSegmentFlags = ta;
        return ta;
    }
}
