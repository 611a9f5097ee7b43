package io.github.capturepackets.report;

import io.github.capturepackets.analysis.AnalysisReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Writes an {@link AnalysisReport} as JSON, Markdown or a single-file HTML page. */
public final class Reports {
    private Reports() {
    }

    /** The JSON report; field names are documented API (docs/report-format.md). */
    public static String json(AnalysisReport report) {
        return JsonReport.write(Objects.requireNonNull(report, "report"));
    }

    /** A Markdown summary fit for a CI log or a pull request comment. */
    public static String markdown(AnalysisReport report) {
        return MarkdownReport.write(Objects.requireNonNull(report, "report"));
    }

    /** A self-contained HTML page (no external assets). */
    public static String html(AnalysisReport report) {
        return HtmlReport.write(Objects.requireNonNull(report, "report"));
    }

    public static void writeJson(AnalysisReport report, Path file) throws IOException {
        write(file, json(report));
    }

    public static void writeMarkdown(AnalysisReport report, Path file) throws IOException {
        write(file, markdown(report));
    }

    public static void writeHtml(AnalysisReport report, Path file) throws IOException {
        write(file, html(report));
    }

    /** Writes a rendered report as UTF-8, creating its directory. */
    public static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text);
    }
}
