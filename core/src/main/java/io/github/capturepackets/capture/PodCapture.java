package io.github.capturepackets.capture;

import java.nio.file.Path;
import java.util.List;

/**
 * One pod's capture.
 *
 * @param namespace        the pod's namespace (empty for local captures)
 * @param pod              the pod name, or the local interface/netns name
 * @param container        the target container
 * @param mode             how it was captured
 * @param files            the pcap files, in order (several when rotated)
 * @param packets          packets that arrived
 * @param bytes            bytes that arrived (file bytes)
 * @param counters         tcpdump's closing counters, or null when tcpdump could not report them
 * @param complete         false when anything was lost or cut short; see {@code incompleteReason}
 * @param incompleteReason why it is incomplete (pod deleted, stream broken, limit hit, ...), or null
 */
public record PodCapture(String namespace, String pod, String container, CaptureMode mode, List<Path> files,
        long packets, long bytes, TcpdumpCounters counters, boolean complete, String incompleteReason) {
    public PodCapture {
        files = List.copyOf(files);
    }

    /** {@code namespace/pod}, or just the pod for local captures: the name of this capture's pcapng interface. */
    public String displayName() {
        return namespace.isEmpty() ? pod : namespace + "/" + pod;
    }
}
