package io.github.capturepackets.analysis;

/** The overall outcome of an analysis. */
public enum Verdict {
    /** No selected rule fired and nothing worse than a note was found. */
    PASS,
    /** Warnings or errors were found, but no rule selected to fail on exceeded its threshold. */
    WARN,
    /** A rule selected to fail on exceeded its threshold, or the capture could not be analyzed. */
    FAIL
}
