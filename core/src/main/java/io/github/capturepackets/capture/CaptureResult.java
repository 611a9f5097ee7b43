package io.github.capturepackets.capture;

import io.github.capturepackets.analysis.Marker;
import java.time.Instant;
import java.util.List;

/**
 * What a session (or a slice of it) captured.
 *
 * @param name     the session or slice name (for example the test's display name)
 * @param start    when capturing started (or the slice began)
 * @param end      when it ended
 * @param captures one entry per pod
 * @param markers  the markers set with {@link CaptureSession#mark(String)} in this window, in order
 */
public record CaptureResult(String name, Instant start, Instant end, List<PodCapture> captures, List<Marker> markers) {
    public CaptureResult {
        captures = List.copyOf(captures);
        markers = markers == null ? List.of() : List.copyOf(markers);
    }

    /** A result without markers. */
    public CaptureResult(String name, Instant start, Instant end, List<PodCapture> captures) {
        this(name, start, end, captures, List.of());
    }

    /** True when every pod's capture is complete. */
    public boolean complete() {
        return captures.stream().allMatch(PodCapture::complete);
    }
}
