package io.github.capturepackets.capture;

/** A capture could not start or failed; the message names the pod, the problem and the fix. */
public class CaptureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CaptureException(String message) {
        super(message);
    }

    public CaptureException(String message, Throwable cause) {
        super(message, cause);
    }
}
