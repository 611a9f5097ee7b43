package io.github.capturepackets.analysis;

import java.util.Objects;

/**
 * What the capture side knows it missed in one capture's window, beyond what the file shows: packets tcpdump
 * counted as "dropped by kernel", or a window cut short (the pod was deleted mid-test, a limit was hit, the stream
 * broke). Given to {@link Analyzer}, a gap makes the report incomplete and is reported as {@code capture.dropped}
 * (drops) or {@code capture.incomplete} (a reason without drops).
 *
 * @param source         the capture's display name as given to the analyzer ({@code shop/web-0}); a name no
 *                       capture carries is still reported (the pod may have produced no file)
 * @param droppedPackets packets tcpdump reported "dropped by kernel" in this window; 0 when none
 * @param reason         a sentence for the user naming the pod, the count or cause, and the fix; or null to let the
 *                       analyzer write one
 */
public record CaptureGap(String source, long droppedPackets, String reason) {

    public CaptureGap {
        Objects.requireNonNull(source, "source");
        if (droppedPackets < 0) {
            throw new IllegalArgumentException("droppedPackets of capture " + source + " is " + droppedPackets
                    + ": give the number of packets tcpdump dropped in the window, 0 when none.");
        }
    }

    /** Whether this gap says the capture lost anything (drops, or a reason such as a cut-short window). */
    boolean losesPackets() {
        return droppedPackets > 0 || reason != null;
    }
}
