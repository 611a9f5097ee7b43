package io.github.capturepackets.analysis;

import java.time.Instant;
import java.util.Objects;

/**
 * One kind of problem seen in a capture, aggregated: how often, where it first happened and on which flow.
 *
 * @param rule       what was found
 * @param severity   how bad it is (usually {@link Rule#defaultSeverity()})
 * @param count      how many frames (or queries, requests) showed it
 * @param firstFrame the frame number of the first occurrence, 1-based as in Wireshark
 * @param firstTime  when it first happened
 * @param flow       the flow of the first occurrence, as text ({@code 10.0.0.1:5123 -> 10.0.0.2:80}), or null
 * @param message    a sentence a person understands, with the details (name, status code, alert)
 */
public record Finding(Rule rule, Severity severity, long count, long firstFrame, Instant firstTime, String flow,
        String message) {

    // Written out, as in FlowSummary: no method-handle bootstrap the first time a finding is compared.

    @Override
    public boolean equals(Object o) {
        return o instanceof Finding f && f.count == count && f.firstFrame == firstFrame && f.rule == rule
                && f.severity == severity && Objects.equals(f.firstTime, firstTime) && Objects.equals(f.flow, flow)
                && Objects.equals(f.message, message);
    }

    @Override
    public int hashCode() {
        int h = Objects.hashCode(rule);
        h = 31 * h + Objects.hashCode(severity);
        h = 31 * h + Long.hashCode(count);
        h = 31 * h + Long.hashCode(firstFrame);
        h = 31 * h + Objects.hashCode(firstTime);
        h = 31 * h + Objects.hashCode(flow);
        return 31 * h + Objects.hashCode(message);
    }
}
