package io.github.capturepackets.capture;

import java.io.InputStream;

/** A running tcpdump somewhere (a local child process, an exec in a pod): its two output streams and a stop. */
interface CaptureProcess {
    /** tcpdump's standard output: the pcap stream. */
    InputStream pcap();

    /** tcpdump's standard error: status lines and the closing counters. */
    InputStream stderr();

    /** Asks tcpdump to stop (SIGTERM), so it flushes and prints its counters. Must not block for long. */
    void terminate() throws Exception;

    /**
     * Asks tcpdump for its counters so far (SIGUSR1) without stopping it; they arrive on standard error as one
     * line. Must not block for long.
     */
    void requestStatistics() throws Exception;

    /** Ends it without ceremony, after {@link #terminate()} did not work in time; releases the streams. */
    void kill();

    /** Waits for the process to end; true when it did. */
    boolean awaitExit(long millis) throws InterruptedException;

    /** How it ended ("exit code 1"), or empty when unknown or still running. */
    String exitDescription();
}
