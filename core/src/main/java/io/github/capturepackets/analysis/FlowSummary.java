package io.github.capturepackets.analysis;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One conversation: a TCP connection (both directions) or a UDP/ICMP conversation.
 *
 * @param id           a number unique within the report, in order of first packet
 * @param protocol     {@code TCP}, {@code UDP} or {@code ICMP}
 * @param client       the side that started it (the SYN sender for TCP, the first sender otherwise)
 * @param server       the other side
 * @param application  what was recognised on it ({@code HTTP}, {@code DNS}, {@code TLS}) or null
 * @param packets      packets in both directions
 * @param bytes        bytes on the wire in both directions
 * @param start        first packet
 * @param end          last packet
 * @param state        for TCP: {@code REFUSED}, {@code UNANSWERED}, {@code RESET}, {@code CLOSED}, {@code OPEN};
 *                     for others {@code null}
 * @param handshakeRtt SYN to SYN/ACK time for TCP, or null
 * @param findings     what was found on this flow
 */
public record FlowSummary(long id, String protocol, Endpoint client, Endpoint server, String application,
        long packets, long bytes, Instant start, Instant end, String state, Duration handshakeRtt,
        List<Finding> findings) {

    // equals and hashCode are written out: a record's generated ones are bootstrapped through method handles,
    // which costs a report tens of milliseconds of class spinning the first time flows are put in a set.

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowSummary f && f.id == id && f.packets == packets && f.bytes == bytes
                && Objects.equals(f.protocol, protocol) && Objects.equals(f.client, client)
                && Objects.equals(f.server, server) && Objects.equals(f.application, application)
                && Objects.equals(f.start, start) && Objects.equals(f.end, end) && Objects.equals(f.state, state)
                && Objects.equals(f.handshakeRtt, handshakeRtt) && Objects.equals(f.findings, findings);
    }

    /** From the id, unique within a report (equal summaries have equal ids). */
    @Override
    public int hashCode() {
        return Long.hashCode(id * 0x9E3779B97F4A7C15L);
    }
}
