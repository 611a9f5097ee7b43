package io.github.capturepackets.cli;

/** A usage or input error: the message names the problem and the fix; the command exits with status 2. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
