package io.github.capturepackets.analysis;

/**
 * Sees every frame the engine counts, for tests that compare frame sets with tshark's display filters. Not used
 * in production (the engine checks for null), so counting stays allocation-free.
 */
interface FrameObserver {
    /** What was counted, named after the tshark display filter it must agree with. */
    enum Counter {
        RESET,
        RETRANSMISSION,
        FAST_RETRANSMISSION,
        SPURIOUS_RETRANSMISSION,
        DUPLICATE_ACK,
        ZERO_WINDOW,
        LOST_SEGMENT,
        DNS_QUERY,
        DNS_NXDOMAIN,
        DNS_SERVFAIL,
        DNS_REFUSED,
        HTTP_REQUEST,
        HTTP_RESPONSE,
        TLS_ALERT,
        ICMP_UNREACHABLE
    }

    /**
     * @param source index of the capture
     * @param frame  1-based frame number in that capture
     * @param value  the HTTP status code for {@link Counter#HTTP_RESPONSE}, else 0
     */
    void counted(Counter counter, int source, long frame, int value);
}
