package io.github.capturepackets.analysis;

import io.github.capturepackets.pcap.CaptureFormatException;
import io.github.capturepackets.pcap.CaptureInterface;
import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.InterfaceStatistics;
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
        return analyze(captures, names, options, markers, List.of(), null);
    }

    /**
     * As {@link #analyze(List, List, AnalysisOptions, List)}, with what the capture side knows the files miss:
     * packets tcpdump dropped in each capture's window, windows cut short. Such a report is never complete. Drops
     * are the {@code capture.dropped} finding (a problem per gap, and a note on the lost-segment findings of the
     * captures that dropped packets); a gap with a reason and no drops is {@code capture.incomplete}. A gap naming
     * no capture is reported all the same (the pod may have written no file). Drops given for a capture replace
     * those its pcapng statistics blocks count, which would otherwise be counted twice.
     *
     * @param gaps what each capture missed, by display name; several gaps of one capture add up
     */
    public static AnalysisReport analyze(List<Path> captures, List<String> names, AnalysisOptions options,
            List<Marker> markers, List<CaptureGap> gaps) {
        return analyze(captures, names, options, markers, gaps, null);
    }

    static AnalysisReport analyze(List<Path> captures, List<String> names, AnalysisOptions options,
            List<Marker> markers, FrameObserver observer) {
        return analyze(captures, names, options, markers, List.of(), observer);
    }

    private static AnalysisReport analyze(List<Path> captures, List<String> names, AnalysisOptions options,
            List<Marker> markers, List<CaptureGap> gaps, FrameObserver observer) {
        Objects.requireNonNull(captures, "captures");
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(markers, "markers");
        Objects.requireNonNull(gaps, "gaps");
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
        // Drops the capture side counted, per capture: known before reading, as they take the place of the files'.
        Map<String, Long> gapDrops = new LinkedHashMap<>();
        for (CaptureGap gap : gaps) {
            Objects.requireNonNull(gap, "gap");
            if (gap.droppedPackets() > 0) {
                add(gapDrops, gap.source(), gap.droppedPackets());
            }
        }
        List<String> sources = List.copyOf(pieces.keySet());
        AnalysisEngine engine = new AnalysisEngine(options);
        engine.observer(observer);
        engine.multipleSources(sources.size() > 1);
        Set<String> linkTypes = new LinkedHashSet<>();
        List<CaptureProblem> problems = new ArrayList<>();
        boolean complete = true;
        boolean unreadable = false;
        // Packets each capture dropped (from the gaps, or else from its files) and segments each one missed.
        Map<String, Long> dropped = new LinkedHashMap<>();
        Map<String, Long> lost = new LinkedHashMap<>();
        for (int context = 0; context < sources.size(); context++) {
            String name = sources.get(context);
            long sourceStart = engine.packets;
            long lostBefore = engine.lostSegments();
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
                        if (!gapDrops.containsKey(name) && statisticsDrops(reader, capture, name, engine, problems,
                                dropped)) {
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
            if (engine.lostSegments() > lostBefore) {
                lost.put(name, engine.lostSegments() - lostBefore);
            }
        }
        for (Map.Entry<String, Long> drops : gapDrops.entrySet()) {
            engine.captureDropped(drops.getValue(), drops.getKey() + " dropped " + drops.getValue() + " packets");
            add(dropped, drops.getKey(), drops.getValue());
        }
        for (CaptureGap gap : gaps) {
            if (!gap.losesPackets()) {
                continue;
            }
            complete = false;
            String message = gap.reason() != null ? gap.reason() : dropSentence(gap.source(), gap.droppedPackets());
            problems.add(new CaptureProblem(gap.source(), -1, message));
            if (gap.droppedPackets() == 0) {
                engine.captureProblem(gap.source(), 0, message);
            }
        }
        engine.captureDrops(dropped);

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
            if (tally.rule == Rule.TCP_LOST_SEGMENT) {
                String note = lostSegmentNote(lost, dropped, multiple);
                if (note != null) {
                    finding = withSeverity(finding, finding.severity(), finding.message() + note);
                }
            }
            if (tally.rule == Rule.TCP_UNANSWERED_SYN || tally.rule == Rule.DNS_UNANSWERED) {
                String note = missingAnswerNote(dropped);
                if (note != null) {
                    finding = withSeverity(finding, finding.severity(), finding.message() + note);
                }
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
     * Drops the pcapng Interface Statistics Blocks of one file count (the last block of each interface, as its
     * counters run from the start of the capture): each interface that dropped packets is a {@code capture.dropped}
     * detail and a problem. Returns whether any did.
     */
    private static boolean statisticsDrops(CaptureReader reader, Path capture, String name, AnalysisEngine engine,
            List<CaptureProblem> problems, Map<String, Long> dropped) {
        List<InterfaceStatistics> statistics = reader.statistics();
        if (statistics.isEmpty()) {
            return false;
        }
        int interfaces = reader.interfaces().size();
        InterfaceStatistics[] last = new InterfaceStatistics[interfaces];
        for (InterfaceStatistics s : statistics) {
            last[s.interfaceId()] = s;
        }
        boolean any = false;
        for (InterfaceStatistics s : last) {
            long drops = s == null ? 0 : Math.max(0, s.osDropped()) + Math.max(0, s.dropped());
            if (drops == 0) {
                continue;
            }
            any = true;
            CaptureInterface in = reader.captureInterface(s.interfaceId());
            Path file = capture.getFileName();
            String where = "interface " + (in.name() != null ? in.name() : "#" + in.id()) + " of "
                    + (file != null ? file : capture);
            String counters = (s.osDropped() > 0 ? "isb_osdrop " + s.osDropped() : "")
                    + (s.osDropped() > 0 && s.dropped() > 0 ? ", " : "")
                    + (s.dropped() > 0 ? "isb_ifdrop " + s.dropped() : "");
            engine.captureDropped(drops, where + " dropped " + drops + " packets");
            add(dropped, name, drops);
            problems.add(new CaptureProblem(name, -1, where + ": the capture dropped " + drops + " packets ("
                    + counters + " in its statistics block) that are not in the file, so gaps in its flows may be "
                    + "the capture's own losses, not the network's. " + DROP_ADVICE));
        }
        return any;
    }

    /** The engine's advice (PodRecorder), for drops whose capture gave no sentence of its own. */
    private static final String DROP_ADVICE = "Raise bufferSize (capturepackets.bufferSize, tcpdump -B), capture "
            + "less with a filter, or lower the snap length (more packets fit in the same ring).";

    /** The problem for drops the capture side reported without a sentence of its own. */
    private static String dropSentence(String source, long dropped) {
        return source + ": tcpdump dropped " + dropped + " packets (\"dropped by kernel\") in this capture's window, "
                + "so the capture misses them and gaps in its flows may be the capture's own losses, not the "
                + "network's. " + DROP_ADVICE;
    }

    /**
     * The note for the lost-segment verdict when captures that missed segments also dropped packets, or null when
     * none did (those gaps are then the network's, or at least not explained by the capture).
     */
    private static String lostSegmentNote(Map<String, Long> lost, Map<String, Long> dropped, boolean multiple) {
        StringBuilder where = new StringBuilder();
        long total = 0;
        for (String source : lost.keySet()) {
            Long drops = dropped.get(source);
            if (drops != null) {
                total += drops;
                where.append(where.length() == 0 ? "" : ", ").append(drops).append(" in ").append(source);
            }
        }
        if (total == 0) {
            return null;
        }
        return AnalysisEngine.lostSegmentNote(total, multiple ? where.toString() : null);
    }

    /**
     * What an unanswered SYN or DNS query adds when the capture dropped packets: the answer may be among them.
     * Says "may": which packets the kernel dropped is not known, only how many.
     */
    static String missingAnswerNote(Map<String, Long> dropped) {
        StringBuilder where = new StringBuilder();
        for (Map.Entry<String, Long> entry : dropped.entrySet()) {
            if (entry.getValue() > 0) {
                where.append(where.length() == 0 ? "" : ", ").append(entry.getValue()).append(" in ")
                        .append(entry.getKey());
            }
        }
        return where.length() == 0 ? null : "; the capture dropped packets in this window (capture.dropped: " + where
                + "), so an answer may have been sent and not captured";
    }

    /** Adds to a per-capture sum (not {@code Map.merge}: its method reference would be one more class to spin). */
    private static void add(Map<String, Long> sums, String source, long value) {
        Long sum = sums.get(source);
        sums.put(source, sum == null ? value : sum + value);
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
