package io.github.capturepackets.junit;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.CaptureProblem;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.Verdict;
import io.github.capturepackets.capture.PodCapture;
import io.github.capturepackets.report.Reports;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.MediaType;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * What happens when a captured test ends: analyze its slice, write the reports, decide from the outcome and the
 * retention what to keep, attach what is kept, publish the verdict entries, and fail the test when a selected
 * rule fired.
 */
final class Outcome {
    /** Report entry keys; they are API (documented, and guarded by a test). */
    static final String KEY_VERDICT = "capturepackets.verdict";
    static final String KEY_SUMMARY = "capturepackets.summary";
    static final String KEY_PACKETS = "capturepackets.packets";
    static final String KEY_COMPLETE = "capturepackets.complete";
    static final String KEY_DROPPED = "capturepackets.dropped";
    static final String KEY_DIRECTORY = "capturepackets.directory";
    static final List<String> REPORT_KEYS = List.of(KEY_VERDICT, KEY_SUMMARY, KEY_PACKETS, KEY_COMPLETE,
            KEY_DROPPED, KEY_DIRECTORY);

    static final String MERGED_CAPTURE = "capture.pcapng";
    static final String JSON = "verdicts.json";
    static final String MARKDOWN = "summary.md";
    static final String HTML = "report.html";

    private static final MediaType PCAPNG = MediaType.create("application", "x-pcapng");
    private static final MediaType PCAP = MediaType.create("application", "vnd.tcpdump.pcap");
    private static final MediaType MARKDOWN_TYPE = MediaType.create("text", "markdown", StandardCharsets.UTF_8);
    private static final MediaType HTML_TYPE = MediaType.create("text", "html", StandardCharsets.UTF_8);

    private Outcome() {
    }

    static void handle(ExtensionContext context, TestCapture capture) {
        Throwable testFailure = context.getExecutionException().orElse(null);
        Path directory = capture.directory();
        AssertionError verdictError = null;
        RuntimeException captureError = null;
        AnalysisReport report = null;
        List<PodCapture> pods = List.of();
        List<Path> attachments = new ArrayList<>();
        try {
            pods = capture.finish();
            boolean merged = PcapMerge.merge(pods, capture.testName(), directory.resolve(MERGED_CAPTURE));
            attachments.add(directory.resolve(MERGED_CAPTURE));
            report = capture.analyze();
            if (merged) {
                // The merged file holds every packet; the per-pod files were only needed for the analysis.
                OutputLayout.deleteRecursively(directory.resolve(TestCapture.PCAP_DIR));
            } else {
                attachments.addAll(pods.stream().flatMap(p -> p.files().stream()).toList());
            }
            Reports.writeJson(report, directory.resolve(JSON));
            Reports.writeMarkdown(report, directory.resolve(MARKDOWN));
            Reports.writeHtml(report, directory.resolve(HTML));
            attachments.add(directory.resolve(JSON));
            attachments.add(directory.resolve(MARKDOWN));
            attachments.add(directory.resolve(HTML));
            verdictError = verdictError(capture, report, directory);
        } catch (IOException e) {
            captureError = new UncheckedIOException("@CapturePackets could not write the reports of "
                    + capture.testName() + " into " + directory + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            captureError = e;
        }
        boolean failed = (testFailure != null && !(testFailure instanceof TestAbortedException))
                || verdictError != null || captureError != null;
        CapturePackets.Retention retention = retention(capture.settings());
        boolean keep = retention == CapturePackets.Retention.ALWAYS
                || (retention == CapturePackets.Retention.ON_FAILURE && failed);
        if (keep) {
            if (attachments.isEmpty()) {
                attachments.addAll(filesIn(directory));
            }
            attach(context, capture, attachments);
        } else {
            OutputLayout.deleteRecursively(directory);
        }
        context.publishReportEntry(entries(report, pods, keep ? directory.toString()
                : "(deleted: retention " + retention + (failed ? "" : ", test passed") + ")"));
        if (captureError != null) {
            if (verdictError != null) {
                captureError.addSuppressed(verdictError);
            }
            throw captureError;
        }
        if (verdictError != null) {
            throw verdictError;
        }
    }

    private static CapturePackets.Retention retention(List<GroupSettings> settings) {
        // The most generous retention among the groups wins: a group asking to keep files gets them.
        CapturePackets.Retention result = CapturePackets.Retention.NEVER;
        for (GroupSettings s : settings) {
            if (s.retention() == CapturePackets.Retention.ALWAYS) {
                return s.retention();
            }
            if (s.retention() == CapturePackets.Retention.ON_FAILURE) {
                result = s.retention();
            }
        }
        return result;
    }

    private static AssertionError verdictError(TestCapture capture, AnalysisReport report, Path directory) {
        if (report.verdict() != Verdict.FAIL) {
            return null;
        }
        List<Finding> fired = report.verdicts().stream().filter(f -> capture.failOn().contains(f.rule())).toList();
        StringBuilder message = new StringBuilder("Capture Packets: the network verdict of ")
                .append(capture.testName()).append(" is FAIL");
        for (Finding f : fired) {
            message.append("\n  - ").append(f.rule().id()).append(": ").append(f.count()).append(f.count() == 1
                    ? " occurrence" : " occurrences").append(", first at frame ").append(f.firstFrame());
            if (f.flow() != null) {
                message.append(" (").append(f.flow()).append(')');
            }
            message.append(": ").append(f.message());
        }
        for (CaptureProblem problem : report.problems()) {
            message.append("\n  - capture problem in ").append(problem.source()).append(": ").append(problem.message());
        }
        message.append("\n  Report: ").append(directory.resolve(MARKDOWN))
                .append("\n  Capture: ").append(directory.resolve(MERGED_CAPTURE));
        return new AssertionError(message.toString());
    }

    private static Map<String, String> entries(AnalysisReport report, List<PodCapture> pods, String directory) {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put(KEY_VERDICT, report == null ? "ERROR" : report.verdict().name());
        entries.put(KEY_SUMMARY, summary(report, pods));
        entries.put(KEY_PACKETS, Long.toString(report == null ? pods.stream().mapToLong(PodCapture::packets).sum()
                : report.packets()));
        boolean complete = pods.stream().allMatch(PodCapture::complete) && (report == null || report.complete());
        entries.put(KEY_COMPLETE, Boolean.toString(complete));
        // Packets the kernel dropped before tcpdump read them, in this test's window: missing from the capture.
        entries.put(KEY_DROPPED, Long.toString(pods.stream().filter(p -> p.counters() != null)
                .mapToLong(p -> p.counters().droppedByKernel()).sum()));
        entries.put(KEY_DIRECTORY, directory);
        return entries;
    }

    static String summary(AnalysisReport report, List<PodCapture> pods) {
        if (report == null) {
            return "not analyzed: the capture or its analysis failed (see the test's error)";
        }
        String findings = report.verdicts().isEmpty() ? "no findings"
                : report.verdicts().stream().map(f -> f.rule().id() + " x" + f.count())
                        .collect(Collectors.joining(", "));
        String incomplete = pods.stream().filter(p -> !p.complete())
                .map(p -> p.displayName() + " incomplete: " + p.incompleteReason()).collect(Collectors.joining("; "));
        return report.verdict() + ": " + findings + " (" + report.packets() + " packets from " + pods.size()
                + (pods.size() == 1 ? " capture" : " captures") + ")" + (incomplete.isEmpty() ? "" : "; " + incomplete);
    }

    private static void attach(ExtensionContext context, TestCapture capture, List<Path> files) {
        boolean stdout = capture.settings().stream().allMatch(GroupSettings::stdoutAttachments);
        PrintStream out = System.out;
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            Path absolute = file.toAbsolutePath();
            String name = capture.directory().relativize(absolute).toString().replace('/', '-');
            context.publishFile(name, mediaType(name), target -> link(absolute, target));
            if (stdout) {
                // Jenkins' junit-attachments reads this line from the test case's <system-out> in Surefire's XML.
                out.println("[[ATTACHMENT|" + absolute + "]]");
            }
        }
        out.flush();
    }

    private static void link(Path source, Path target) throws IOException {
        // JUnit's output directory survives builds without a clean: a file from an earlier run is stale.
        Files.deleteIfExists(target);
        try {
            Files.createLink(target, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, target);
        }
    }

    private static MediaType mediaType(String name) {
        if (name.endsWith(".pcapng")) {
            return PCAPNG;
        }
        if (name.endsWith(".pcap")) {
            return PCAP;
        }
        if (name.endsWith(".json")) {
            return MediaType.APPLICATION_JSON;
        }
        if (name.endsWith(".md")) {
            return MARKDOWN_TYPE;
        }
        if (name.endsWith(".html")) {
            return HTML_TYPE;
        }
        return MediaType.APPLICATION_OCTET_STREAM;
    }

    private static List<Path> filesIn(Path directory) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
