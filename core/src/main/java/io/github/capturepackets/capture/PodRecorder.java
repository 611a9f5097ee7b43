package io.github.capturepackets.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One tcpdump and what it writes: the pcap stream into a {@link PcapStreamSink}, standard error into a
 * {@link TcpdumpStderr}. Stopping is bounded: SIGTERM, wait for the counters, then kill.
 */
final class PodRecorder {
    static final long STOP_GRACE_MILLIS = 5_000;
    /** A stream still delivering a spool's backlog after SIGTERM is waited for this long at most. */
    static final long DRAIN_BOUND_MILLIS = 600_000;
    /** How long a slice's end waits for tcpdump's counters (one exec round trip in the cluster modes). */
    static final long STATISTICS_WAIT_MILLIS = 5_000;
    /** A slice opening within this long of a reading starts from it instead of asking again. */
    static final long RECENT_READING_MILLIS = 1_000;

    final String namespace;
    final String pod;
    final String container;
    final CaptureMode mode;
    final String key;
    private final int bufferKib;
    private final PcapStreamSink sink;
    private final TcpdumpStderr stderr = new TcpdumpStderr();
    private final ExecutorService executor;
    private final Set<String> problems = new LinkedHashSet<>();
    private CaptureProcess process;
    private Future<?> pcapReader;
    private Future<?> stderrReader;
    private volatile boolean stopRequested;
    private volatile boolean stopped;
    private volatile long endedNanos;
    private volatile String statisticsFailure;
    private PodCapture result;

    /**
     * @param key  unique within the session (the pod UID, or the interface)
     * @param base the pcap file path without extension
     */
    PodRecorder(String namespace, String pod, String container, CaptureMode mode, String key, Path base,
            CaptureLimits limits, int bufferKib, ExecutorService executor) {
        this.bufferKib = bufferKib;
        this.namespace = namespace;
        this.pod = pod;
        this.container = container;
        this.mode = mode;
        this.key = key;
        this.executor = executor;
        this.sink = new PcapStreamSink(base, limits, reason -> executor.execute(() -> requestStop()));
    }

    String displayName() {
        return namespace.isEmpty() ? pod : namespace + "/" + pod;
    }

    /** Starts following the process's streams. */
    void attach(CaptureProcess started) {
        this.process = started;
        pcapReader = executor.submit(() -> {
            sink.consume(started.pcap());
            endedNanos = System.nanoTime();
        });
        stderrReader = executor.submit(() -> stderr.consume(started.stderr()));
    }

    TcpdumpStderr stderr() {
        return stderr;
    }

    PcapStreamSink sink() {
        return sink;
    }

    /** Records why this capture is incomplete (pod deleted, stream broken, ...); the capture itself carries on. */
    void problem(String reason) {
        synchronized (problems) {
            problems.add(reason);
        }
    }

    List<String> problems() {
        synchronized (problems) {
            return new ArrayList<>(problems);
        }
    }

    boolean running() {
        return process != null && !stopped && !pcapReader.isDone();
    }

    /** True when the capture runs, or ended on its own within the last {@code millis} (its time limit). */
    boolean endedByTimeLimit(long millis) {
        if (process == null || stopRequested) {
            return false;
        }
        long ended = endedNanos;
        return ended == 0 || System.nanoTime() - ended <= millis * 1_000_000L;
    }

    /** Asks tcpdump to stop without waiting (limit reached, time limit). */
    void requestStop() {
        if (stopRequested || process == null || pcapReader.isDone()) {
            // Nothing to signal when the stream already ended (pod deleted, time limit, stream broken).
            return;
        }
        stopRequested = true;
        try {
            process.terminate();
        } catch (Exception e) {
            problem("stopping tcpdump failed: " + e.getMessage());
        }
    }

    /** Stops tcpdump, waits (bounded) for its counters and the end of the stream, and builds the result. */
    synchronized PodCapture stop() {
        if (result != null) {
            return result;
        }
        if (process != null) {
            requestStop();
            // A spooled capture may still be sending its backlog: wait while it makes progress, within a bound.
            long drainDeadline = System.nanoTime() + DRAIN_BOUND_MILLIS * 1_000_000L;
            long seen = -1;
            boolean drained = awaitQuietly(pcapReader, STOP_GRACE_MILLIS);
            // Progress is every record read, also those past a byte or packet limit, which the spool still sends.
            while (!drained && sink.received() != seen && System.nanoTime() < drainDeadline) {
                seen = sink.received();
                drained = awaitQuietly(pcapReader, STOP_GRACE_MILLIS);
            }
            boolean clean = drained & awaitQuietly(stderrReader, STOP_GRACE_MILLIS);
            if (!clean) {
                problem("tcpdump's stream did not end within " + STOP_GRACE_MILLIS / 1000 + " s of SIGTERM (and of "
                        + "its last progress) and was killed");
                process.kill();
                awaitQuietly(pcapReader, 2_000);
                awaitQuietly(stderrReader, 2_000);
            }
        }
        stopped = true;
        result = snapshot();
        return result;
    }

    private static boolean awaitQuietly(Future<?> future, long millis) {
        try {
            future.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    /** The capture as it stands; after {@link #stop()} it includes the counter check. */
    PodCapture snapshot() {
        List<String> reasons = new ArrayList<>();
        if (sink.limitReason() != null) {
            reasons.add(sink.limitReason());
        }
        reasons.addAll(problems());
        if (sink.streamProblem() != null) {
            reasons.add(sink.streamProblem());
        }
        if (stderr.spoolFull() != null) {
            reasons.add("the capture fell behind: " + stderr.spoolFull() + " spool files of "
                    + TcpdumpCommand.SPOOL_FILE_MB + " MB waited in " + displayName() + " for the exec stream, past "
                    + "the spool's bound, so the capture stopped there. Capture less (a filter, a snap length), or "
                    + "raise maxBytes, which also raises the bound");
        }
        TcpdumpCounters counters = stderr.counters();
        if (stopped && process != null) {
            if (counters == null) {
                String exit = process.exitDescription();
                reasons.add("tcpdump's closing counters never arrived (the stream ended early"
                        + (exit.isEmpty() ? "" : ", " + exit) + "), so losses cannot be ruled out"
                        + (stderr.text().isEmpty() ? "" : "; tcpdump said: " + stderr.text()));
            } else {
                if (counters.droppedByKernel() > 0) {
                    reasons.add(dropReason(counters, "while it ran"));
                }
                if (sink.limitReason() == null && counters.captured() > sink.packets()) {
                    reasons.add("tcpdump captured " + counters.captured() + " packets but only " + sink.packets()
                            + " arrived");
                }
            }
        }
        return new PodCapture(namespace, pod, container, mode, sink.files(), sink.packets(), sink.bytes(), counters,
                reasons.isEmpty(), reasons.isEmpty() ? null : String.join("; ", reasons));
    }

    /**
     * The kernel's drops, in words that name the pod, the count, the cause and the fix. In immediate mode the ring
     * is cut into frames of the snap length, so a smaller snap length holds more packets in the same memory.
     */
    String dropReason(TcpdumpCounters counters, String when) {
        return "the kernel dropped " + counters.droppedByKernel() + " of " + counters.receivedByFilter()
                + " packets " + when + " before tcpdump in " + displayName() + " read them: its " + bufferKib
                + " KiB ring was full, so these packets are missing from the capture, not lost on the network. "
                + "Raise bufferSize (capturepackets.bufferSize, tcpdump -B; now " + bufferKib + " KiB), capture "
                + "less with a filter, or lower the snap length (more packets fit in the same ring)";
    }

    /**
     * Asks tcpdump for its counters (SIGUSR1) and waits, bounded, for the answer: the first reading after the
     * request, or tcpdump's closing counters if it ended. Null when neither arrived.
     */
    private TcpdumpCounters readCounters() {
        CaptureProcess running = process;
        if (running == null) {
            return null;
        }
        long before = stderr.readings();
        if (!pcapReader.isDone()) {
            try {
                running.requestStatistics();
            } catch (Exception e) {
                // The slice says its counters are unknown, with this cause; the capture itself carries on.
                statisticsFailure = e.getMessage();
            }
        }
        try {
            return stderr.awaitReading(before, STATISTICS_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One slice's view of this pod: its file, and tcpdump's counters when the window opened (null: unknown). */
    record Window(PcapStreamSink.SliceTap tap, TcpdumpCounters baseline) {
    }

    /**
     * Opens a slice from {@code start} with the counters it starts from: a reading of the last second (the previous
     * test's end, in a sequential suite), else a fresh one, taken before the window's traffic can begin, so its
     * drops are never counted short.
     */
    Window openSlice(Path file, Instant start) throws IOException {
        PcapStreamSink.SliceTap tap = sink.openSlice(file, start);
        TcpdumpCounters baseline = stderr.recentReading(RECENT_READING_MILLIS);
        if (baseline == null && process != null) {
            baseline = readCounters();
        }
        return new Window(tap, baseline);
    }

    /**
     * Ends a slice at {@code end}: reads tcpdump's counters, then waits (bounded) until every packet tcpdump had
     * captured by then arrived (a spool may hold them back) and the stream is quiet, so the slice's entry carries
     * its own window's packets and kernel drops.
     */
    PodCapture closeSlice(Window window, Instant end, long quietMillis, long boundMillis) {
        List<String> reasons = new ArrayList<>();
        TcpdumpCounters last = process == null ? null : readCounters();
        try {
            sink.closeSlice(window.tap(), end, quietMillis, boundMillis, last == null ? -1 : last.captured());
        } catch (IOException e) {
            reasons.add("the slice could not be written: " + e.getMessage());
        }
        TcpdumpCounters counters = null;
        if (process != null) {
            // Without a starting reading, count from tcpdump's start: drops are then possibly early, never missed.
            TcpdumpCounters first = window.baseline() != null ? window.baseline() : new TcpdumpCounters(0, 0, 0);
            if (last == null && pcapReader.isDone()) {
                reasons.add("tcpdump's counters for this window are unknown: its capture ended before the window "
                        + "did, so packets dropped by the kernel cannot be ruled out");
            } else if (last == null) {
                String cause = statisticsFailure;
                reasons.add("tcpdump's counters for this window did not arrive within "
                        + STATISTICS_WAIT_MILLIS / 1000 + " s" + (cause == null ? "" : " (" + cause + ")")
                        + ", so packets dropped by the kernel cannot be ruled out");
            } else {
                counters = new TcpdumpCounters(Math.max(0, last.captured() - first.captured()),
                        Math.max(0, last.receivedByFilter() - first.receivedByFilter()),
                        Math.max(0, last.droppedByKernel() - first.droppedByKernel()));
                if (counters.droppedByKernel() > 0) {
                    reasons.add(dropReason(counters, "in this window"));
                }
            }
        }
        PodCapture whole = snapshot();
        if (!whole.complete() && whole.incompleteReason() != null) {
            // The capture's own trouble (pod deleted, stream broken, limit) first: it is the cause of the rest.
            reasons.add(0, whole.incompleteReason());
        }
        PcapStreamSink.SliceTap tap = window.tap();
        if (tap.problem() != null) {
            reasons.add(tap.problem());
        }
        return new PodCapture(namespace, pod, container, mode, tap.written() ? List.of(tap.file()) : List.of(),
                tap.packets(), tap.written() ? tap.bytes() : 0, counters, reasons.isEmpty(),
                reasons.isEmpty() ? null : String.join("; ", reasons));
    }
}
