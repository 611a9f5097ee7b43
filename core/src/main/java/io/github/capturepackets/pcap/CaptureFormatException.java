package io.github.capturepackets.pcap;

import java.io.IOException;
import java.util.Objects;

/**
 * The input is not a readable capture, or is damaged at a given byte offset.
 *
 * <p>It is an {@link IOException} (like {@link java.util.zip.ZipException}): bad input is an input failure.
 * {@link CaptureReader#open} throws it when nothing can be read at all (an empty input, something that is not
 * a capture, a truncated file header). Damage found later does not throw: the packets before it are delivered
 * and the damage is listed in {@link CaptureReader#problems()}.
 */
public final class CaptureFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient CaptureProblem problem;

    public CaptureFormatException(CaptureProblem problem) {
        super(Objects.requireNonNull(problem, "problem").message());
        this.problem = problem;
    }

    /** The problem, with source, offset, kind and detail as separate fields. */
    public CaptureProblem problem() {
        return problem;
    }

    /** The file or stream name. */
    public String source() {
        return problem.source();
    }

    /** The byte offset where the damage starts, or -1. */
    public long offset() {
        return problem.offset();
    }
}
