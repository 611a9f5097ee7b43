package io.github.capturepackets.capture;

import io.github.capturepackets.analysis.Marker;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The mode-independent part of a session: its recorders, slices, markers, the time limit and an orderly stop.
 * Modes add recorders and release what they created in {@link #release()}.
 */
abstract class RecordingSession implements CaptureSession {
    /** Our own stop comes this long after the time limit, as a backstop to the timeout inside the command. */
    static final long TIME_LIMIT_BACKSTOP_MILLIS = 3_000;
    /**
     * After a slice ends, wait this long for a quiet stream, at most {@link #SLICE_FLUSH_BOUND_MILLIS} while packets
     * of the window are still arriving (a spool's backlog drains at the exec stream's pace: 17-63 MB/s measured on the local cluster).
     */
    static final long SLICE_QUIET_MILLIS = 150;
    static final long SLICE_FLUSH_BOUND_MILLIS = 120_000;

    final CaptureRequest request;
    final String id;
    final Path directory;
    final Instant started = Instant.now();
    final StartupTimeline timeline;
    final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final ScheduledFuture<?> timeLimit;
    private final List<PodRecorder> recorders = new CopyOnWriteArrayList<>();
    private final List<Marker> markers = new CopyOnWriteArrayList<>();
    private final List<SliceImpl> openSlices = new CopyOnWriteArrayList<>();
    private final AtomicInteger sliceCounter = new AtomicInteger();
    private volatile boolean timeLimitReached;
    private CaptureResult result;

    RecordingSession(CaptureRequest request) {
        this(request, new StartupTimeline());
    }

    RecordingSession(CaptureRequest request, StartupTimeline timeline) {
        this.request = request;
        this.timeline = timeline;
        this.id = String.format("%06x", ThreadLocalRandom.current().nextInt(0x1000000));
        this.directory = request.outputDirectory().resolve(safe(request.name()) + "-" + id);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new CaptureException("Cannot create the capture directory " + directory + ": " + e.getMessage()
                    + ". Set an output directory that is writable.", e);
        }
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "capture-packets-" + id + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "capture-packets-" + id + "-timer");
            t.setDaemon(true);
            return t;
        });
        long millis = request.limits().maxDuration().toMillis();
        this.timeLimit = timer.schedule(this::reachTimeLimit, millis, TimeUnit.MILLISECONDS);
    }

    /** A file-name-safe form of a pod, session or test name. */
    static String safe(String name) {
        String cleaned = name.replaceAll("[^A-Za-z0-9._-]+", "_");
        if (cleaned.length() > 80) {
            cleaned = cleaned.substring(0, 80);
        }
        return cleaned.isEmpty() ? "capture" : cleaned;
    }

    /**
     * The timeout wrapped around tcpdump stops it at the limit; here the result learns why, and a backstop stops
     * any tcpdump still running a little later (signalling both at once would race with the timeout).
     */
    private void reachTimeLimit() {
        timeLimitReached = true;
        for (PodRecorder recorder : recorders) {
            if (recorder.endedByTimeLimit(2_000)) {
                recorder.problem("time limit of " + request.limits().maxDuration() + " reached");
            }
        }
        timer.schedule(() -> {
            for (PodRecorder recorder : recorders) {
                if (recorder.running()) {
                    recorder.problem("time limit of " + request.limits().maxDuration() + " reached");
                    recorder.requestStop();
                }
            }
        }, TIME_LIMIT_BACKSTOP_MILLIS, TimeUnit.MILLISECONDS);
    }

    boolean timeLimitReached() {
        return timeLimitReached;
    }

    /** Adds a started recorder; slices that are open take it in from now on. */
    void addRecorder(PodRecorder recorder) {
        recorders.add(recorder);
        for (SliceImpl slice : openSlices) {
            slice.take(recorder);
        }
    }

    List<PodRecorder> recorders() {
        return List.copyOf(recorders);
    }

    @Override
    public Slice slice(String name) {
        String base = safe(name == null || name.isBlank() ? "slice" : name);
        Path sliceDirectory = directory.resolve(base);
        // createDirectory is atomic: slices of parallel tests with the same (shortened) name never share one.
        while (true) {
            try {
                Files.createDirectory(sliceDirectory);
                break;
            } catch (FileAlreadyExistsException e) {
                sliceDirectory = directory.resolve(base + "-" + sliceCounter.incrementAndGet());
            } catch (IOException e) {
                throw new CaptureException("Cannot create the slice directory " + sliceDirectory + ": "
                        + e.getMessage(), e);
            }
        }
        SliceImpl slice = new SliceImpl(name == null ? "slice" : name, sliceDirectory, Instant.now());
        openSlices.add(slice);
        for (PodRecorder recorder : recorders) {
            slice.take(recorder);
        }
        return slice;
    }

    @Override
    public void mark(String label) {
        markers.add(new Marker(Instant.now(), label == null ? "" : label));
    }

    /** The markers so far, in order. */
    public List<Marker> markers() {
        return List.copyOf(markers);
    }

    @Override
    public synchronized CaptureResult stop() {
        if (result != null) {
            return result;
        }
        timeLimit.cancel(false);
        timer.shutdownNow();
        List<PodCapture> captures = new ArrayList<>();
        RuntimeException failure = null;
        try {
            beforeStop();
            List<CompletableFuture<PodCapture>> stops = new ArrayList<>();
            for (PodRecorder recorder : recorders) {
                stops.add(CompletableFuture.supplyAsync(recorder::stop, executor));
            }
            for (CompletableFuture<PodCapture> stop : stops) {
                captures.add(stop.join());
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            try {
                release();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            timer.shutdownNow();
            executor.shutdown();
        }
        result = new CaptureResult(request.name(), started, Instant.now(), captures, markers());
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    /** Called first in {@link #stop()}: stop watching for new pods. */
    void beforeStop() {
    }

    /** Deletes what the session created (helper pods, clients). Called once, after the recorders stopped. */
    abstract void release();

    /**
     * Runs {@code begin}; if it fails, stops the session (keeping what was captured, releasing what was created)
     * and rethrows, with any failure of the stop attached as suppressed.
     */
    static <S extends RecordingSession> S beginOrStop(S session, Runnable begin) {
        try {
            begin.run();
            return session;
        } catch (RuntimeException e) {
            try {
                session.stop();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private final class SliceImpl implements Slice {
        private final String name;
        private final Path sliceDirectory;
        private final Instant start;
        private final Map<PodRecorder, PodRecorder.Window> taps = new LinkedHashMap<>();
        private CaptureResult sliceResult;

        SliceImpl(String name, Path sliceDirectory, Instant start) {
            this.name = name;
            this.sliceDirectory = sliceDirectory;
            this.start = start;
        }

        synchronized void take(PodRecorder recorder) {
            if (sliceResult != null || taps.containsKey(recorder)) {
                return;
            }
            try {
                String file = safe(recorder.namespace.isEmpty() ? recorder.pod
                        : recorder.namespace + "_" + recorder.pod);
                Path path = sliceDirectory.resolve(file + ".pcap");
                for (int i = 2; Files.exists(path) || taken(path); i++) {
                    path = sliceDirectory.resolve(file + "-" + i + ".pcap");
                }
                taps.put(recorder, recorder.openSlice(path, start));
            } catch (IOException e) {
                recorder.problem("slice '" + name + "' could not be written: " + e.getMessage());
            }
        }

        private boolean taken(Path path) {
            return taps.values().stream().anyMatch(t -> t.tap().file().equals(path));
        }

        @Override
        public synchronized CaptureResult end() {
            if (sliceResult != null) {
                return sliceResult;
            }
            Instant end = Instant.now();
            openSlices.remove(this);
            List<CompletableFuture<PodCapture>> ends = new ArrayList<>();
            for (Map.Entry<PodRecorder, PodRecorder.Window> entry : taps.entrySet()) {
                PodRecorder recorder = entry.getKey();
                PodRecorder.Window window = entry.getValue();
                Supplier<PodCapture> close = () -> recorder.closeSlice(window, end, SLICE_QUIET_MILLIS,
                        SLICE_FLUSH_BOUND_MILLIS);
                // In parallel, so twenty pods wait for in-flight packets once, not twenty times.
                ends.add(executor.isShutdown() ? CompletableFuture.completedFuture(close.get())
                        : CompletableFuture.supplyAsync(close, executor));
            }
            List<PodCapture> captures = new ArrayList<>();
            for (CompletableFuture<PodCapture> e : ends) {
                captures.add(e.join());
            }
            List<Marker> inWindow = markers.stream()
                    .filter(m -> !m.time().isBefore(start) && !m.time().isAfter(end)).toList();
            sliceResult = new CaptureResult(name, start, end, captures, inWindow);
            return sliceResult;
        }

        @Override
        public void close() {
            end();
        }
    }
}
