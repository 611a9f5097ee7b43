package io.github.capturepackets.capture;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * When each start-up phase of a session was reached, per pod, relative to the start call. Kept for the start-up
 * benchmark (CaptureStartupBenchIT) and never printed by the engine.
 */
final class StartupTimeline {
    static final String SESSION = "";
    static final String PREFLIGHT_DONE = "preflight done";
    static final String PODS_RESOLVED = "pods resolved";
    static final String PATCH_SENT = "PATCH sent";
    static final String PATCH_ANSWERED = "PATCH answered";
    static final String RUNNING_OBSERVED = "container Running observed";
    static final String EXEC_STARTED = "tcpdump exec started";
    static final String LISTENING = "listening";
    static final String ALL_STARTED = "all started";

    /** A phase reached by one pod ({@link #SESSION} for the session as a whole), in ms after the start call. */
    record Event(String pod, String phase, double millis) {
    }

    private final long origin = System.nanoTime();
    private final List<Event> events = new CopyOnWriteArrayList<>();

    void record(String pod, String phase) {
        events.add(new Event(pod, phase, (System.nanoTime() - origin) / 1e6));
    }

    long originNanos() {
        return origin;
    }

    List<Event> events() {
        return List.copyOf(events);
    }
}
