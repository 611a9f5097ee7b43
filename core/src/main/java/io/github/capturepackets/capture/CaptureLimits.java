package io.github.capturepackets.capture;

import java.time.Duration;

/**
 * Bounds for each pod's capture. When one is hit, that capture stops cleanly and is reported as limited.
 *
 * @param maxDuration      the longest a capture may run; also the hard limit inside the capture container, so an
 *                         abandoned capture ends on its own
 * @param maxBytesPerPod   bytes per pod before the capture stops (0: unlimited)
 * @param maxPacketsPerPod packets per pod before the capture stops (0: unlimited)
 * @param rotateBytes      start a new file after this many bytes (0: one file)
 */
public record CaptureLimits(Duration maxDuration, long maxBytesPerPod, long maxPacketsPerPod, long rotateBytes) {
}
