package io.github.capturepackets.analysis;

import io.github.capturepackets.pcap.CaptureFormatException;
import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.LinkType;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Reads captures (streaming, any size) and produces an {@link AnalysisReport}. */
public final class Analyzer {
    private Analyzer() {
    }

    /**
     * Analyzes the captures together (each capture's flows kept apart, so the same packet seen in two pods'
     * captures is not mistaken for a retransmission). A damaged capture is analyzed up to the damage and the
     * report says it is incomplete.
     */
    public static AnalysisReport analyze(List<Path> captures, AnalysisOptions options) {
        return analyze(captures, options, List.of());
    }

    /** As {@link #analyze(List, AnalysisOptions)}, with markers to put on the report's timeline. */
    public static AnalysisReport analyze(List<Path> captures, AnalysisOptions options, List<Marker> markers) {
        Objects.requireNonNull(captures, "captures");
        List<String> names = new ArrayList<>(captures.size());
        Set<String> used = new HashSet<>();
        for (Path capture : captures) {
            // The same file given twice stays two captures (equal names would make it one capture in pieces).
            String name = String.valueOf(capture);
            for (int n = 2; !used.add(name); n++) {
                name = capture + " (" + n + ")";
            }
            names.add(name);
        }
        return analyze(captures, names, options, markers);
    }

    /**
     * As {@link #analyze(List, AnalysisOptions, List)}, naming each capture in the report ({@code namespace/pod}
     * rather than a temporary file name). Captures given the same name are pieces of one capture (a pod's capture
     * cut into slices or rotated files), in the order given: they are analyzed as one, so a connection that spans
     * two pieces is one flow, a DNS query answered in the next piece is answered, and frame numbers run on from
     * piece to piece.
     *
     * @param names one display name per capture, in the same order
     */
    public static AnalysisReport analyze(List<Path> captures, List<String> names, AnalysisOptions options,
            List<Marker> markers) {
        return analyze(captures, names, options, markers, null);
    }

    static AnalysisReport analyze(List<Path> captures, List<String> names, AnalysisOptions options,
            List<Marker> markers, FrameObserver observer) {
        Objects.requireNonNull(captures, "captures");
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(markers, "markers");
        if (captures.isEmpty()) {
            throw new IllegalArgumentException("No capture to analyze: give at least one pcap or pcapng file.");
        }
        if (names.size() != captures.size()) {
            throw new IllegalArgumentException("Got " + names.size() + " names for " + captures.size()
                    + " captures: give one display name per capture, in the same order.");
        }
        // Pieces of one capture (equal names) are read one after the other, in the order given.
        Map<String, List<Integer>> pieces = new LinkedHashMap<>();
        for (int i = 0; i < captures.size(); i++) {
            String name = Objects.requireNonNull(names.get(i), "name " + i);
            List<Integer> indexes = pieces.get(name);
            if (indexes == null) {
                // Not computeIfAbsent: its lambda would be one more class to spin on every run of the CLI.
                indexes = new ArrayList<>();
                pieces.put(name, indexes);
            }
            indexes.add(i);
        }
        List<String> sources = List.copyOf(pieces.keySet());
        AnalysisEngine engine = new AnalysisEngine(options);
        engine.observer(observer);
        engine.multipleSources(sources.size() > 1);
        Set<String> linkTypes = new LinkedHashSet<>();
        List<CaptureProblem> problems = new ArrayList<>();
        boolean complete = true;
        boolean unreadable = false;
        for (int context = 0; context < sources.size(); context++) {
            String name = sources.get(context);
            long sourceStart = engine.packets;
            try {
                for (int i : pieces.get(name)) {
                    Path capture = Objects.requireNonNull(captures.get(i), "capture " + i);
                    engine.beginCapture(context, name, engine.packets - sourceStart);
                    long before = engine.packets;
                    try (CaptureReader reader = CaptureReader.open(capture)) {
                        reader.read(engine);
                        for (LinkType type : reader.linkTypes()) {
                            linkTypes.add(type.name());
                        }
                        for (io.github.capturepackets.pcap.CaptureProblem problem : reader.problems()) {
                            problems.add(new CaptureProblem(name, problem.offset(), problem.message()));
                            if (problem.losesPackets()) {
                                engine.captureProblem(engine.packets - sourceStart + 1, problem.message());
                            }
                        }
                        if (!reader.complete()) {
                            complete = false;
                        }
                    } catch (CaptureFormatException e) {
                        complete = false;
                        unreadable = true;
                        problems.add(new CaptureProblem(name, e.offset(), e.getMessage()));
                        engine.captureProblem(before - sourceStart, e.getMessage());
                    } catch (NoSuchFileException e) {
                        complete = false;
                        unreadable = true;
                        String message = name + ": the capture file does not exist (" + capture.toAbsolutePath()
                                + "). Check the path.";
                        problems.add(new CaptureProblem(name, -1, message));
                        engine.captureProblem(before - sourceStart, message);
                    } catch (IOException e) {
                        complete = false;
                        unreadable = true;
                        String message = name + ": the capture cannot be read (" + e + "). Check that the file "
                                + "exists and is readable.";
                        problems.add(new CaptureProblem(name, -1, message));
                        engine.captureProblem(before - sourceStart, message);
                    }
                }
            } finally {
                engine.endCapture();
            }
        }

        boolean multiple = sources.size() > 1;
        List<Finding> verdicts = new ArrayList<>();
        boolean failed = unreadable;
        double rate = engine.retransmissionRate();
        boolean rateExceeded = options.maxRetransmissionRate() >= 0 && engine.dataSegments() > 0
                && rate > options.maxRetransmissionRate();
        failed |= rateExceeded;
        for (RuleTally tally : engine.tallies()) {
            Finding finding = tally.toFinding(multiple);
            if (tally.rule == Rule.TCP_RETRANSMISSION) {
                String rateText = percent(rate) + " of " + engine.dataSegments() + " data segments";
                finding = rateExceeded
                        ? withSeverity(finding, Severity.ERROR, finding.message() + ": " + rateText
                                + ", above the allowed " + percent(options.maxRetransmissionRate()))
                        : withSeverity(finding, finding.severity(), finding.message() + ": " + rateText);
            }
            if (tally.rule == Rule.CAPTURE_INCOMPLETE && unreadable) {
                finding = withSeverity(finding, Severity.ERROR, finding.message());
            }
            if (options.failOn().contains(tally.rule) && tally.count > options.threshold(tally.rule)) {
                failed = true;
                finding = withSeverity(finding, Severity.ERROR.compareTo(finding.severity()) > 0
                        ? Severity.ERROR : finding.severity(), finding.message() + " (fails: more than "
                                + options.threshold(tally.rule) + " allowed)");
            }
            verdicts.add(finding);
        }
        verdicts.sort(FindingOrder.SEVERITY_THEN_COUNT);
        Verdict verdict = failed ? Verdict.FAIL : Verdict.PASS;
        for (Finding f : verdicts) {
            if (verdict == Verdict.PASS && f.severity().atLeast(Severity.WARN)) {
                verdict = Verdict.WARN;
            }
        }

        Instant start = engine.packets == 0 ? null : instant(engine.firstNanos);
        Instant end = engine.packets == 0 ? null : instant(engine.lastNanos);
        return new AnalysisReport(sources, engine.packets, engine.bytes, List.copyOf(linkTypes), complete,
                List.copyOf(problems), start, end, engine.flowCount, engine.flows(), engine.stats(),
                List.copyOf(verdicts), verdict, List.copyOf(markers));
    }

    /**
     * A fraction as a percentage with two decimals ("1.25 %"), as {@code String.format("%.2f %%")} writes it, without
     * the formatter's start-up cost (its regular expressions and locale data) at the end of every run.
     */
    private static String percent(double fraction) {
        return BigDecimal.valueOf(fraction * 100).setScale(2, RoundingMode.HALF_UP).toPlainString() + " %";
    }

    private static Finding withSeverity(Finding f, Severity severity, String message) {
        return new Finding(f.rule(), severity, f.count(), f.firstFrame(), f.firstTime(), f.flow(), message);
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
