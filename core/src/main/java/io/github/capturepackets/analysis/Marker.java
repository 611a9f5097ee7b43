package io.github.capturepackets.analysis;

import java.time.Instant;

/** A point on the capture timeline named by the test ({@code mark("checkout submitted")}). */
public record Marker(Instant time, String label) {
}
