package io.github.capturepackets.report;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.CaptureProblem;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.FlowSummary;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.analysis.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A short Markdown summary for a CI log or a pull request comment. Plain-text readable too, no emoji, and
 * bounded: long lists end with "... and N more" so a report of a huge capture still fits in a comment.
 */
final class MarkdownReport {
    static final int MAX_FINDINGS = 25;
    static final int MAX_FLOWS = 10;
    static final int MAX_PROBLEMS = 10;
    static final int MAX_SOURCES = 10;
    static final int MAX_CELL = 200;

    private MarkdownReport() {
    }

    static String write(AnalysisReport report) {
        StringBuilder md = new StringBuilder(4096);
        String verdict = report.verdict() == null ? "UNKNOWN" : report.verdict().name();
        List<Finding> verdicts = Format.nonNull(report.verdicts());
        md.append("### Capture Packets: ").append(verdict).append("\n\n");
        md.append("**[").append(verdict).append("]** ").append(Format.severityCounts(verdicts)).append(" in ")
                .append(Format.plural(report.packets(), "packet", "packets")).append(" (")
                .append(Format.bytes(report.bytes())).append(", ")
                .append(Format.plural(report.flowCount(), "flow", "flows")).append(')');
        if (report.start() != null && report.end() != null) {
            md.append(" over ").append(Format.duration(Format.between(report.start(), report.end())));
        }
        md.append(" from ").append(Format.plural(Format.nonNull(report.sources()).size(), "capture", "captures"))
                .append(".\n");
        long dropped = report.droppedPackets();
        if (dropped > 0) {
            md.append("\n**Capture dropped packets:** ").append(Format.dropped(dropped))
                    .append(" See Capture problems.\n");
        }
        if (!report.complete() && (dropped == 0 || report.finding(Rule.CAPTURE_INCOMPLETE).isPresent())) {
            md.append("\n**Capture incomplete:** the counts cover only what was read; see Capture problems.\n");
        }

        findings(md, verdicts);
        stats(md, report.stats());
        flows(md, report);
        problems(md, Format.nonNull(report.problems()));
        sources(md, report);
        return md.toString();
    }

    private static void findings(StringBuilder md, List<Finding> verdicts) {
        md.append("\n#### Findings\n\n");
        if (verdicts.isEmpty()) {
            md.append("None.\n");
            return;
        }
        md.append("| Severity | Rule | Count | First frame | Flow | Message |\n");
        md.append("|---|---|---:|---:|---|---|\n");
        int shown = Math.min(verdicts.size(), MAX_FINDINGS);
        for (Finding finding : verdicts.subList(0, shown)) {
            md.append("| ").append(finding.severity() == null ? "" : finding.severity().name())
                    .append(" | ").append(code(finding.rule() == null ? "" : finding.rule().id()))
                    .append(" | ").append(Format.count(finding.count()))
                    .append(" | ").append(finding.firstFrame())
                    .append(" | ").append(finding.flow() == null ? "" : code(finding.flow()))
                    .append(" | ").append(cell(finding.message()))
                    .append(" |\n");
        }
        more(md, verdicts.size() - shown, "findings");
    }

    private static void stats(StringBuilder md, Stats stats) {
        if (stats == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        Stats.Tcp tcp = stats.tcp();
        if (tcp != null) {
            StringBuilder line = new StringBuilder("TCP: ")
                    .append(Format.plural(tcp.connections(), "connection", "connections"))
                    .append(", ").append(Format.plural(tcp.resets(), "reset", "resets"))
                    .append(" (").append(Format.count(tcp.refused())).append(" refused, ")
                    .append(Format.count(tcp.midStreamResets())).append(" mid-stream), ")
                    .append(Format.plural(tcp.retransmissions(), "retransmission", "retransmissions"))
                    .append(", ").append(Format.plural(tcp.duplicateAcks(), "duplicate ACK", "duplicate ACKs"))
                    .append(", ").append(Format.plural(tcp.zeroWindows(), "zero window", "zero windows"))
                    .append(", ").append(Format.plural(tcp.unansweredSyns(), "unanswered SYN", "unanswered SYNs"));
            if (tcp.medianHandshakeRtt() != null) {
                line.append(", median handshake RTT ").append(Format.duration(tcp.medianHandshakeRtt()));
            }
            lines.add(line.toString());
        }
        Stats.Dns dns = stats.dns();
        if (dns != null && (dns.queries() > 0 || dns.responses() > 0)) {
            StringBuilder line = new StringBuilder("DNS: ")
                    .append(Format.plural(dns.queries(), "query", "queries"))
                    .append(", ").append(Format.count(dns.nxdomain())).append(" NXDOMAIN");
            if (dns.searchNxdomain() > 0) {
                line.append(" (").append(Format.count(dns.searchNxdomain())).append(" expected: search-domain expansions)");
            }
            line.append(", ").append(Format.count(dns.servfail())).append(" SERVFAIL, ")
                    .append(Format.count(dns.refused())).append(" REFUSED, ")
                    .append(Format.count(dns.unanswered())).append(" unanswered");
            if (dns.medianLatency() != null) {
                line.append(", median latency ").append(Format.duration(dns.medianLatency()));
            }
            lines.add(line.toString());
        }
        Stats.Http http = stats.http();
        if (http != null && (http.requests() > 0 || http.responses() > 0)) {
            StringBuilder line = new StringBuilder("HTTP: ")
                    .append(Format.plural(http.requests(), "request", "requests"));
            String status = Format.counts(http.status(), 10);
            if (!status.isEmpty()) {
                line.append(", status ").append(status);
            }
            if (http.medianLatency() != null) {
                line.append(", median latency ").append(Format.duration(http.medianLatency()));
            }
            lines.add(line.toString());
        }
        Stats.Tls tls = stats.tls();
        if (tls != null && (tls.clientHellos() > 0 || tls.alerts() > 0)) {
            StringBuilder line = new StringBuilder("TLS: ")
                    .append(Format.plural(tls.clientHellos(), "ClientHello", "ClientHellos"));
            String names = Format.counts(tls.serverNames(), 5);
            if (!names.isEmpty()) {
                line.append(" (").append(names).append(')');
            }
            line.append(", ").append(Format.plural(tls.alerts(), "alert", "alerts"));
            String alerts = Format.counts(tls.alertDescriptions(), 5);
            if (!alerts.isEmpty()) {
                line.append(" (").append(alerts).append(')');
            }
            lines.add(line.toString());
        }
        Stats.Icmp icmp = stats.icmp();
        if (icmp != null && (icmp.unreachable() > 0 || icmp.timeExceeded() > 0)) {
            lines.add("ICMP: " + Format.count(icmp.unreachable()) + " destination unreachable, "
                    + Format.count(icmp.timeExceeded()) + " time exceeded");
        }
        if (lines.isEmpty()) {
            return;
        }
        md.append("\n#### Key stats\n\n");
        for (String line : lines) {
            md.append("- ").append(text(line)).append('\n');
        }
    }

    private static void flows(StringBuilder md, AnalysisReport report) {
        List<FlowSummary> flows = Format.flowsWithFindings(report);
        if (flows.isEmpty()) {
            return;
        }
        md.append("\n#### Flows with findings\n\n");
        md.append("| # | Protocol | Flow | State | Packets | Bytes | Findings |\n");
        md.append("|---:|---|---|---|---:|---:|---|\n");
        int shown = Math.min(flows.size(), MAX_FLOWS);
        for (FlowSummary flow : flows.subList(0, shown)) {
            StringJoiner found = new StringJoiner(", ");
            for (Finding finding : Format.nonNull(flow.findings())) {
                found.add((finding.rule() == null ? "?" : finding.rule().id()) + " x" + Format.count(finding.count()));
            }
            String protocol = flow.protocol() == null ? "" : flow.protocol();
            if (flow.application() != null) {
                protocol += "/" + flow.application();
            }
            md.append("| ").append(flow.id())
                    .append(" | ").append(cell(protocol))
                    .append(" | ").append(code(Format.flowText(flow)))
                    .append(" | ").append(cell(flow.state() == null ? "" : flow.state()))
                    .append(" | ").append(Format.count(flow.packets()))
                    .append(" | ").append(Format.bytes(flow.bytes()))
                    .append(" | ").append(cell(found.toString()))
                    .append(" |\n");
        }
        more(md, flows.size() - shown, "flows with findings");
        if (report.flowCount() > Format.nonNull(report.flows()).size()) {
            md.append("\nThe report keeps ").append(Format.count(Format.nonNull(report.flows()).size()))
                    .append(" of ").append(Format.count(report.flowCount())).append(" flows.\n");
        }
    }

    private static void problems(StringBuilder md, List<CaptureProblem> problems) {
        if (problems.isEmpty()) {
            return;
        }
        md.append("\n#### Capture problems\n\n");
        int shown = Math.min(problems.size(), MAX_PROBLEMS);
        for (CaptureProblem problem : problems.subList(0, shown)) {
            md.append("- ").append(code(problem.source() == null ? "" : problem.source()));
            if (problem.offset() >= 0) {
                md.append(" at byte ").append(problem.offset());
            }
            md.append(": ").append(cell(problem.message())).append('\n');
        }
        more(md, problems.size() - shown, "problems");
    }

    private static void sources(StringBuilder md, AnalysisReport report) {
        List<String> sources = Format.nonNull(report.sources());
        if (sources.isEmpty()) {
            return;
        }
        StringJoiner joined = new StringJoiner(", ");
        int shown = Math.min(sources.size(), MAX_SOURCES);
        for (String source : sources.subList(0, shown)) {
            joined.add(code(source));
        }
        if (sources.size() > shown) {
            joined.add("... and " + (sources.size() - shown) + " more");
        }
        md.append("\nCaptures: ").append(joined);
        List<String> linkTypes = Format.nonNull(report.linkTypes());
        if (!linkTypes.isEmpty()) {
            md.append(" (").append(text(String.join(", ", linkTypes))).append(')');
        }
        md.append('\n');
    }

    private static void more(StringBuilder md, int hidden, String what) {
        if (hidden > 0) {
            md.append("\n... and ").append(hidden).append(" more ").append(what).append(".\n");
        }
    }

    /**
     * Text from the capture (DNS names, messages, file names) inside a table cell: one line, bounded, with every
     * character Markdown or HTML could act on escaped, so a crafted name cannot break the table or inject markup.
     */
    static String cell(String value) {
        if (value == null) {
            return "";
        }
        String line = value.replaceAll("[\\r\\n\\t]+", " ");
        if (line.length() > MAX_CELL) {
            line = line.substring(0, MAX_CELL) + "...";
        }
        return text(line);
    }

    static String text(String value) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\', '|', '*', '_', '`', '[', ']', '<', '>', '#', '~' -> out.append('\\').append(c);
                case '&' -> out.append("&amp;");
                default -> out.append(c < 0x20 ? ' ' : c);
            }
        }
        return out.toString();
    }

    /**
     * An inline code span for addresses and rule ids; the fence is longer than any backtick run inside, as
     * CommonMark requires, and pipes are escaped because GitHub tables split on them even in code.
     */
    static String code(String value) {
        String line = value.replaceAll("[\\r\\n\\t]+", " ");
        if (line.length() > MAX_CELL) {
            line = line.substring(0, MAX_CELL) + "...";
        }
        line = line.replace("|", "\\|");
        int longest = 0;
        int run = 0;
        for (int i = 0; i < line.length(); i++) {
            run = line.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(longest + 1);
        String pad = line.startsWith("`") || line.endsWith("`") ? " " : "";
        return fence + pad + line + pad + fence;
    }
}
