package io.github.capturepackets.capture;

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
        throw new CaptureException("mode " + request.mode() + " is not implemented yet");
    }
}
