package io.github.capturepackets.capture;

import java.nio.file.Path;

/**
 * How to reach the cluster. All empty means fabric8's usual discovery: {@code KUBECONFIG}, {@code ~/.kube/config}
 * or the in-cluster service account.
 *
 * @param kubeconfig a kubeconfig file, or null
 * @param context    the kubeconfig context to use, or empty for its current context
 */
public record ClusterAccess(Path kubeconfig, String context) {
    public ClusterAccess {
        context = context == null ? "" : context.trim();
    }

    public static ClusterAccess defaults() {
        return new ClusterAccess(null, "");
    }
}
