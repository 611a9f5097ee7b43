package io.github.capturepackets.analysis;

import java.nio.file.Path;
import java.util.List;

/** Reads captures (streaming, any size) and produces an {@link AnalysisReport}. */
public final class Analyzer {
    private Analyzer() {
    }

    /**
     * Analyzes the captures together (each capture's flows kept apart, so the same packet seen in two pods'
     * captures is not mistaken for a retransmission). A damaged capture is analyzed up to the damage and the
     * report says it is incomplete.
     */
    public static AnalysisReport analyze(List<Path> captures, AnalysisOptions options) {
        return analyze(captures, options, List.of());
    }

    /** As {@link #analyze(List, AnalysisOptions)}, with markers to put on the report's timeline. */
    public static AnalysisReport analyze(List<Path> captures, AnalysisOptions options, List<Marker> markers) {
        throw new UnsupportedOperationException("contract only: implemented on the analysis branch");
    }
}
