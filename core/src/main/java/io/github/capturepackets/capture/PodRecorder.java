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

    final String namespace;
    final String pod;
    final String container;
    final CaptureMode mode;
    final String key;
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
    private PodCapture result;

    /**
     * @param key  unique within the session (the pod UID, or the interface)
     * @param base the pcap file path without extension
     */
    PodRecorder(String namespace, String pod, String container, CaptureMode mode, String key, Path base,
            CaptureLimits limits, ExecutorService executor) {
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
            boolean clean = awaitQuietly(pcapReader, STOP_GRACE_MILLIS) & awaitQuietly(stderrReader, STOP_GRACE_MILLIS);
            if (!clean) {
                problem("tcpdump did not stop within " + STOP_GRACE_MILLIS / 1000 + " s of SIGTERM and was killed");
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
        TcpdumpCounters counters = stderr.counters();
        if (stopped && process != null) {
            if (counters == null) {
                String exit = process.exitDescription();
                reasons.add("tcpdump's closing counters never arrived (the stream ended early"
                        + (exit.isEmpty() ? "" : ", " + exit) + "), so losses cannot be ruled out"
                        + (stderr.text().isEmpty() ? "" : "; tcpdump said: " + stderr.text()));
            } else {
                if (counters.droppedByKernel() > 0) {
                    reasons.add("the kernel dropped " + counters.droppedByKernel()
                            + " packets before tcpdump read them (raise the snap length limit or the filter's "
                            + "selectivity)");
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

    /** A slice's entry for this pod. */
    PodCapture sliceResult(PcapStreamSink.SliceTap tap) {
        List<String> reasons = new ArrayList<>();
        PodCapture whole = snapshot();
        if (!whole.complete() && whole.incompleteReason() != null) {
            reasons.add(whole.incompleteReason());
        }
        if (tap.problem() != null) {
            reasons.add(tap.problem());
        }
        return new PodCapture(namespace, pod, container, mode, tap.written() ? List.of(tap.file()) : List.of(),
                tap.packets(), tap.written() ? tap.bytes() : 0, null, reasons.isEmpty(),
                reasons.isEmpty() ? null : String.join("; ", reasons));
    }

    PcapStreamSink.SliceTap openSlice(Path file, Instant start) throws IOException {
        return sink.openSlice(file, start);
    }
}
