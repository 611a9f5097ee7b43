package io.github.capturepackets.capture;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** Starts captures. The returned session must be closed; it stops tcpdump and removes what it created. */
public final class CaptureEngine {
    private CaptureEngine() {
    }

    /**
     * Checks what the capture needs (preflight), then starts capturing every target pod (or the local interface
     * in {@link CaptureMode#LOCAL}).
     *
     * @throws CaptureException with a message naming the pod, what is missing and the fix
     */
    public static CaptureSession start(CaptureRequest request, ClusterAccess access) {
        if (request.mode() == CaptureMode.LOCAL) {
            return LocalCapture.start(request);
        }
        return start(request, ClusterConnection.connect(access == null ? ClusterAccess.defaults() : access), true);
    }

    /** Preflight, then the capture, with a client that already answered. */
    static CaptureSession start(CaptureRequest request, KubernetesClient client,
            boolean ownsClient) {
        try {
            StartupTimeline timeline = new StartupTimeline();
            Preflight preflight = KubernetesPreflight.run(request, client);
            if (!preflight.passed()) {
                throw new CaptureException(preflight.message());
            }
            timeline.record(StartupTimeline.SESSION, StartupTimeline.PREFLIGHT_DONE);
            return KubernetesCapture.start(request, client, ownsClient, timeline);
        } catch (RuntimeException e) {
            if (ownsClient) {
                client.close();
            }
            throw e;
        }
    }

    /**
     * Checks, without creating anything, whether the capture can run: permissions (SelfSubjectAccessReview),
     * server version, the namespaces' PodSecurity level and the target pods' security settings.
     *
     * @throws CaptureException when the cluster cannot be reached
     */
    public static Preflight preflight(CaptureRequest request, ClusterAccess access) {
        if (request.mode() == CaptureMode.LOCAL) {
            return new Preflight(List.of(), "");
        }
        try (KubernetesClient client = ClusterConnection.connect(
                access == null ? ClusterAccess.defaults() : access)) {
            return KubernetesPreflight.run(request, client);
        }
    }
}
