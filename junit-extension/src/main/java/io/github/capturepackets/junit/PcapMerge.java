package io.github.capturepackets.junit;

import io.github.capturepackets.capture.PodCapture;
import io.github.capturepackets.pcap.MergeResult;
import io.github.capturepackets.pcap.MergeSource;
import io.github.capturepackets.pcap.PcapngWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Merges a test's per-pod captures into one pcapng (one interface per pod, the test name in the comments). */
final class PcapMerge {
    private PcapMerge() {
    }

    /**
     * Writes {@code target}. Returns whether every input was merged completely; when not, the per-pod files are kept
     * next to it so nothing is lost.
     */
    static boolean merge(List<PodCapture> pods, String testName, Path target) throws IOException {
        List<MergeSource> sources = new ArrayList<>();
        for (PodCapture pod : pods) {
            List<String> comments = new ArrayList<>();
            comments.add("test: " + testName);
            comments.add("capture mode: " + pod.mode() + (pod.container().isEmpty() ? "" : ", container " + pod.container()));
            comments.add(pod.complete() ? "capture complete" : "capture incomplete: " + pod.incompleteReason());
            if (pod.counters() != null) {
                comments.add("tcpdump: " + pod.counters().captured() + " captured, " + pod.counters().receivedByFilter()
                        + " received by filter, " + pod.counters().droppedByKernel() + " dropped by kernel");
            }
            for (int i = 0; i < pod.files().size(); i++) {
                String name = pod.displayName() + (pod.files().size() > 1 ? "#" + (i + 1) : "");
                MergeSource source = new MergeSource(pod.files().get(i), name, null, comments);
                // The pod's drops in this test's window, once (on its first file), as the interface's isb_osdrop.
                sources.add(i == 0 && pod.counters() != null
                        ? source.withDroppedPackets(pod.counters().droppedByKernel()) : source);
            }
        }
        MergeResult result = PcapngWriter.merge(sources, target, List.of("Capture Packets", "test: " + testName));
        return result.complete();
    }
}
