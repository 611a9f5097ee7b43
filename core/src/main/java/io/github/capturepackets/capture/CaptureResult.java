package io.github.capturepackets.capture;

import java.time.Instant;
import java.util.List;

/**
 * What a session (or a slice of it) captured.
 *
 * @param name     the session or slice name (for example the test's display name)
 * @param start    when capturing started (or the slice began)
 * @param end      when it ended
 * @param captures one entry per pod
 */
public record CaptureResult(String name, Instant start, Instant end, List<PodCapture> captures) {
    public CaptureResult {
        captures = List.copyOf(captures);
    }

    /** True when every pod's capture is complete. */
    public boolean complete() {
        return captures.stream().allMatch(PodCapture::complete);
    }
}
