package io.github.capturepackets.junit;

import io.github.capturepackets.analysis.AnalysisOptions;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Analyzer;
import io.github.capturepackets.analysis.CaptureGap;
import io.github.capturepackets.analysis.Marker;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.capture.CaptureMode;
import io.github.capturepackets.capture.CaptureResult;
import io.github.capturepackets.capture.CaptureSession;
import io.github.capturepackets.capture.PodCapture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * One test's capture: a slice of every applicable session, the test's markers and its output directory. Each test
 * has its own instance (stored under its unique id), so nothing here is shared between parallel tests. Methods are
 * synchronized because a test may hand its {@link PacketCapture} to threads of its own.
 */
final class TestCapture implements PacketCapture, AutoCloseable {
    static final String PCAP_DIR = "pcap";
    private final Path directory;
    private final String testName;
    private final List<Run> runs = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private final List<PodCapture> captured = new ArrayList<>();
    private final Set<Rule> failOn = EnumSet.noneOf(Rule.class);
    private final String sliceId = UUID.randomUUID().toString().substring(0, 8);
    private int part;
    private boolean finished;

    private static final class Run {
        final GroupSettings settings;
        final CaptureSession session;
        CaptureSession.Slice slice;

        Run(GroupSettings settings, CaptureSession session) {
            this.settings = settings;
            this.session = session;
        }
    }

    TestCapture(Path directory, String testName, List<Sessions.Handle> handles) {
        this.directory = directory;
        this.testName = testName;
        for (Sessions.Handle handle : handles) {
            runs.add(new Run(handle.settings(), handle.session()));
            failOn.addAll(handle.settings().failOn());
        }
    }

    List<GroupSettings> settings() {
        return runs.stream().map(r -> r.settings).toList();
    }

    Set<Rule> failOn() {
        return Set.copyOf(failOn);
    }

    String testName() {
        return testName;
    }

    synchronized void start() {
        part++;
        for (Run run : runs) {
            // A unique prefix: the engine names the slice's directory after it (shortened), and parallel tests'
            // slices must never share one.
            run.slice = run.session.slice(sliceId + " " + testName + (part == 1 ? "" : " (part " + part + ")"));
        }
    }

    @Override
    public synchronized void mark(String label) {
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("A marker needs a label, for example mark(\"checkout submitted\")");
        }
        markers.add(new Marker(Instant.now(), label));
        for (Run run : runs) {
            run.session.mark(testName + ": " + label);
        }
    }

    @Override
    public synchronized AnalysisReport analyzeSoFar() {
        if (finished) {
            throw new IllegalStateException("The capture of " + testName + " has ended");
        }
        endSlices();
        start();
        return analyze();
    }

    @Override
    public Path directory() {
        return directory;
    }

    synchronized List<Marker> markers() {
        return List.copyOf(markers);
    }

    /** Ends the slices, moves their files into the test directory and returns every pod capture of the test. */
    synchronized List<PodCapture> finish() {
        if (!finished) {
            finished = true;
            endSlices();
        }
        return List.copyOf(captured);
    }

    synchronized AnalysisReport analyze() {
        List<Path> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (PodCapture pod : captured) {
            // Name each capture as the report's reader knows the pod (namespace/pod), not by a temporary path. The
            // pieces of one pod (a slice per analyzeSoFar(), rotated files) share the name, so the analyzer reads
            // them as one capture: a connection that spans analyzeSoFar() stays one flow.
            for (Path file : pod.files()) {
                files.add(file);
                names.add(pod.displayName());
            }
        }
        // Node mode records a pod's packets on every host interface they cross (its veth, the bridge): count each
        // once, or every packet would look retransmitted.
        boolean node = captured.stream().anyMatch(pod -> pod.mode() == CaptureMode.NODE);
        AnalysisOptions options = AnalysisOptions.defaults().withFailOn(failOn).withIgnoreInterfaceDuplicates(node);
        return Analyzer.analyze(files, names, options, List.copyOf(markers), gaps(captured));
    }

    /**
     * What the capture side knows each pod's pieces missed (kernel drops in their windows, a pod deleted, a limit
     * hit), so the report says it instead of presenting the gaps as the network's.
     */
    static List<CaptureGap> gaps(List<PodCapture> pods) {
        List<CaptureGap> gaps = new ArrayList<>();
        for (PodCapture pod : pods) {
            if (!pod.complete()) {
                long dropped = pod.counters() == null ? 0 : pod.counters().droppedByKernel();
                gaps.add(new CaptureGap(pod.displayName(), dropped, pod.incompleteReason()));
            }
        }
        return gaps;
    }

    private void endSlices() {
        RuntimeException first = null;
        for (Run run : runs) {
            if (run.slice == null) {
                continue;
            }
            try {
                CaptureResult result = run.slice.end();
                for (PodCapture pod : result.captures()) {
                    captured.add(moveIntoDirectory(pod));
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            } finally {
                run.slice = null;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private PodCapture moveIntoDirectory(PodCapture pod) {
        List<Path> moved = new ArrayList<>();
        Path pcapDir = directory.resolve(PCAP_DIR);
        try {
            Files.createDirectories(pcapDir);
            for (Path file : pod.files()) {
                String name = file.getFileName().toString();
                String extension = name.endsWith(".pcapng") ? ".pcapng" : ".pcap";
                Path target = pcapDir.resolve(OutputLayout.sanitize(pod.displayName().replace('/', '_')) + "-"
                        + part + (pod.files().size() > 1 ? "-" + (moved.size() + 1) : "") + extension);
                moved.add(Files.move(file, target, StandardCopyOption.REPLACE_EXISTING));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot move the capture of " + pod.displayName() + " into " + pcapDir, e);
        }
        return new PodCapture(pod.namespace(), pod.pod(), pod.container(), pod.mode(), moved, pod.packets(),
                pod.bytes(), pod.counters(), pod.complete(), pod.incompleteReason());
    }

    /** Ends open slices if the test ended without {@link #finish()} (for example when its setup failed). */
    @Override
    public synchronized void close() {
        if (!finished) {
            finished = true;
            endSlices();
        }
    }
}
