package io.github.capturepackets.capture;

import java.util.List;

/**
 * Which pods to capture: a namespace plus a label selector and/or pod names, optionally the container whose
 * network namespace and process view to target (default: the pod's default container). For
 * {@link CaptureMode#LOCAL} the namespace is unused.
 *
 * @param namespace     the Kubernetes namespace
 * @param labelSelector a label selector ({@code app=web,tier!=cache}), or empty
 * @param pods          pod names, or empty
 * @param container     the target container, or empty for the pod's default container
 */
public record CaptureTarget(String namespace, String labelSelector, List<String> pods, String container) {
    public CaptureTarget {
        namespace = namespace == null ? "" : namespace.trim();
        labelSelector = labelSelector == null ? "" : labelSelector.trim();
        pods = pods == null ? List.of() : List.copyOf(pods);
        container = container == null ? "" : container.trim();
    }
}
