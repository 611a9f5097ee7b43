package io.github.capturepackets.pcap;

import java.util.List;

/**
 * Outcome of {@link PcapngWriter#merge}.
 *
 * @param packets packets written in total
 * @param packetsPerSource packets written from each source, in the order of the sources
 * @param problems problems of the inputs (unreadable inputs, truncated or corrupt tails, unsupported link types)
 */
public record MergeResult(long packets, List<Long> packetsPerSource, List<CaptureProblem> problems) {

    public MergeResult {
        packetsPerSource = List.copyOf(packetsPerSource);
        problems = List.copyOf(problems);
    }

    /** Whether every input was read completely. */
    public boolean complete() {
        return problems.stream().noneMatch(CaptureProblem::losesPackets);
    }
}
