package io.github.capturepackets.capture;

/** Where tcpdump runs. */
public enum CaptureMode {
    /** An ephemeral container added to each target pod, sharing its network namespace (the default). */
    EPHEMERAL,
    /** A privileged host-network pod on the target's node, filtering by pod IP; deleted afterwards. */
    NODE,
    /** An existing container of the pod that has tcpdump (for sidecar set-ups). */
    EXEC,
    /** A local interface or network namespace, for tests without a cluster. */
    LOCAL
}
