package io.github.capturepackets.analysis;

/** How bad a finding is, in Wireshark's Expert Info vocabulary, from least to most severe. */
public enum Severity {
    CHAT,
    NOTE,
    WARN,
    ERROR;

    /** True when this severity is at least as severe as {@code other}. */
    public boolean atLeast(Severity other) {
        return compareTo(other) >= 0;
    }
}
