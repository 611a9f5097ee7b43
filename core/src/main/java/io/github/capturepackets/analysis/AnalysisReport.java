package io.github.capturepackets.analysis;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The result of analyzing one or more captures. Its component names are the JSON report's field names.
 *
 * @param sources   the captures analyzed (file names or {@code namespace/pod})
 * @param packets   frames read
 * @param bytes     bytes on the wire (original lengths)
 * @param linkTypes link types seen, by name ({@code LINUX_SLL2})
 * @param complete  false when a capture was truncated, damaged, stopped by a limit, or dropped packets; see
 *                  {@code problems}
 * @param problems  what was wrong with the captures
 * @param start     first packet, or null for an empty capture
 * @param end       last packet, or null
 * @param flowCount all flows seen; {@code flows} may hold fewer (the most interesting first) to bound report size
 * @param flows     per-flow summaries
 * @param stats     counters
 * @param verdicts  findings aggregated per rule, most severe first
 * @param verdict   the overall verdict
 * @param markers   points the test marked on the timeline
 */
public record AnalysisReport(List<String> sources, long packets, long bytes, List<String> linkTypes,
        boolean complete, List<CaptureProblem> problems, Instant start, Instant end, long flowCount,
        List<FlowSummary> flows, Stats stats, List<Finding> verdicts, Verdict verdict, List<Marker> markers) {

    /** The verdict of a rule, if it fired. */
    public Optional<Finding> finding(Rule rule) {
        if (verdicts != null) {
            for (Finding finding : verdicts) {
                if (finding.rule() == rule) {
                    return Optional.of(finding);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Packets the captures dropped (tcpdump's "dropped by kernel", or a pcapng file's statistics): the count of the
     * {@code capture.dropped} verdict, 0 when none. Such packets are in no file, so the report cannot see them.
     */
    public long droppedPackets() {
        Optional<Finding> dropped = finding(Rule.CAPTURE_DROPPED);
        return dropped.isPresent() ? dropped.get().count() : 0;
    }
}
