package io.github.capturepackets.capture;

import io.github.capturepackets.analysis.Marker;
import java.util.List;

/**
 * A running capture of all target pods. One session serves a whole test class or suite: each test takes a
 * {@link #slice(String)}, so a pod gets one ephemeral container however many tests run. Closing the session stops
 * tcpdump everywhere and releases everything it created; closing is idempotent.
 */
public interface CaptureSession extends AutoCloseable {

    /** Starts a named time window (for one test). Closing the slice writes that window's packets per pod. */
    Slice slice(String name);

    /** Adds a marker to the timeline of every running capture. */
    void mark(String label);

    /** The markers set so far, in order (also in each result, limited to its window). */
    default List<Marker> markers() {
        return List.of();
    }

    /** Stops capturing and returns everything captured since the session started. Idempotent. */
    CaptureResult stop();

    @Override
    void close();

    /** A time window of a session, written to its own files when it ends. */
    interface Slice extends AutoCloseable {
        /** Ends the window (waiting briefly for packets still in flight) and returns its per-pod files. */
        CaptureResult end();

        @Override
        void close();
    }
}
