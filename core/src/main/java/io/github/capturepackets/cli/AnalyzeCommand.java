package io.github.capturepackets.cli;

import io.github.capturepackets.analysis.AnalysisOptions;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Analyzer;
import io.github.capturepackets.analysis.CaptureProblem;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.analysis.Severity;
import io.github.capturepackets.analysis.Verdict;
import io.github.capturepackets.report.Reports;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/** {@code capture-packets analyze}: verdicts, findings and reports for one or more captures. */
final class AnalyzeCommand {
    static final String NAME = "analyze";

    private static final List<String> VALUED = List.of("--json", "--html", "--markdown", "--fail-on", "--threshold",
            "--max-retransmission-rate", "--dns-timeout", "--max-flows");
    private static final List<String> FLAGS = List.of("--quiet", "--help", "--ignore-interface-duplicates");
    private static final Map<String, String> ALIASES = Map.of("-q", "--quiet", "-h", "--help");

    private AnalyzeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        Arguments parsed = Arguments.parse(NAME, args, VALUED, FLAGS, ALIASES);
        if (parsed.has("--help")) {
            out.print(help());
            return Main.OK;
        }
        AnalysisOptions options = options(parsed);
        String json = parsed.single("--json");
        String html = parsed.single("--html");
        String markdown = parsed.single("--markdown");
        int toStdout = 0;
        for (String target : new String[] {json, html, markdown}) {
            toStdout += "-".equals(target) ? 1 : 0;
        }
        if (toStdout > 1) {
            throw new UsageException("Only one report can go to stdout ('-'), got " + toStdout
                    + ". Write the others to files.");
        }
        boolean quiet = parsed.has("--quiet");
        if (parsed.operands.isEmpty()) {
            throw new UsageException("No capture to analyze. Give one or more pcap or pcapng files, for example "
                    + "'capture-packets analyze --html report.html capture.pcap'. " + Arguments.help(NAME));
        }
        List<Path> captures = Inputs.captures(parsed.operands);

        AnalysisReport report = Analyzer.analyze(captures, options);

        // Damage found while reading (a truncated tail, a corrupt record) does not stop the analysis: say so on
        // stderr so a CI log shows it even when the reports are only archived.
        for (CaptureProblem problem : report.problems()) {
            err.println("capture-packets: warning: " + problem.message());
        }
        long dropped = report.droppedPackets();
        if (dropped > 0) {
            err.println("capture-packets: warning: the capture dropped " + dropped + " packets that are in no file "
                    + "(tcpdump could not keep up); gaps in that window are likely the capture's own losses, not the "
                    + "network's (rule capture.dropped; add --fail-on capture.dropped to fail on it).");
        }
        if (!report.complete() && (dropped == 0 || report.finding(Rule.CAPTURE_INCOMPLETE).isPresent())) {
            err.println("capture-packets: warning: the capture is incomplete; the reports cover the packets read "
                    + "before the damage (rule capture.incomplete; add --fail-on capture.incomplete to fail on it).");
        }

        if (json != null) {
            write(json, "JSON", Reports.json(report), out);
        }
        if (html != null) {
            write(html, "HTML", Reports.html(report), out);
        }
        boolean summaryOnStdout = !quiet && toStdout == 0;
        // The Markdown summary is rendered once even when it goes both to a file and to stdout.
        String summary = markdown != null || summaryOnStdout ? Reports.markdown(report) : null;
        if (markdown != null) {
            write(markdown, "Markdown", summary, out);
        }
        if (summaryOnStdout) {
            print(out, summary);
        }

        if (report.verdict() == Verdict.FAIL) {
            err.println("capture-packets: FAIL: " + failureReason(report, options));
            return Main.FAILED;
        }
        return Main.OK;
    }

    private static AnalysisOptions options(Arguments parsed) throws UsageException {
        AnalysisOptions options = AnalysisOptions.defaults();
        try {
            Set<Rule> failOn = EnumSet.noneOf(Rule.class);
            for (String list : parsed.all("--fail-on")) {
                for (String item : list.split(",")) {
                    if (!item.isBlank()) {
                        failOn.addAll(rules(item.trim()));
                    }
                }
            }
            options = options.withFailOn(failOn);
            for (String threshold : parsed.all("--threshold")) {
                int equals = threshold.indexOf('=');
                if (equals <= 0) {
                    throw new UsageException("Option --threshold needs RULE=N (for example tcp.retransmission=10), "
                            + "got '" + threshold + "'.");
                }
                Rule rule = rule(threshold.substring(0, equals), "--threshold");
                long count;
                try {
                    count = Long.parseLong(threshold.substring(equals + 1).trim());
                } catch (NumberFormatException e) {
                    throw new UsageException("Option --threshold needs a whole number of occurrences after '=', got '"
                            + threshold + "'.", e);
                }
                options = options.withThreshold(rule, count);
            }
            String rate = parsed.single("--max-retransmission-rate");
            if (rate != null) {
                options = options.withMaxRetransmissionRate(rate(rate));
            }
            String timeout = parsed.single("--dns-timeout");
            if (timeout != null) {
                options = options.withDnsTimeout(Arguments.duration("--dns-timeout", timeout));
            }
            String maxFlows = parsed.single("--max-flows");
            if (maxFlows != null) {
                try {
                    options = options.withMaxFlows(Integer.parseInt(maxFlows.trim()));
                } catch (NumberFormatException e) {
                    throw new UsageException("Option --max-flows needs a whole number, got '" + maxFlows + "'.", e);
                }
            }
            if (parsed.has("--ignore-interface-duplicates")) {
                options = options.withIgnoreInterfaceDuplicates(true);
            }
        } catch (IllegalArgumentException e) {
            // AnalysisOptions validates in one place; its messages already name the setting and the fix.
            throw new UsageException(e.getMessage(), e);
        }
        return options;
    }

    /** A rule id, or a group: {@code all}, {@code error} (rules of ERROR severity), {@code warn} (WARN or worse). */
    private static Set<Rule> rules(String item) throws UsageException {
        Set<Rule> rules = EnumSet.noneOf(Rule.class);
        switch (item.toLowerCase(Locale.ROOT)) {
            case "all" -> rules.addAll(EnumSet.allOf(Rule.class));
            case "error", "errors" -> addAtLeast(rules, Severity.ERROR);
            case "warn", "warning", "warnings" -> addAtLeast(rules, Severity.WARN);
            default -> rules.add(rule(item, "--fail-on"));
        }
        return rules;
    }

    private static void addAtLeast(Set<Rule> rules, Severity severity) {
        for (Rule rule : Rule.values()) {
            if (rule.defaultSeverity().atLeast(severity)) {
                rules.add(rule);
            }
        }
    }

    private static Rule rule(String id, String option) throws UsageException {
        try {
            return Rule.fromId(id);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + " (in " + option + "). " + Arguments.help(NAME), e);
        }
    }

    /** A fraction ({@code 0.02}) or a percentage ({@code 2%}). */
    private static double rate(String text) throws UsageException {
        String trimmed = text.trim();
        try {
            double value = trimmed.endsWith("%")
                    ? Double.parseDouble(trimmed.substring(0, trimmed.length() - 1).trim()) / 100
                    : Double.parseDouble(trimmed);
            if (value < 0 || value > 1 || Double.isNaN(value)) {
                throw new UsageException("Option --max-retransmission-rate is a fraction from 0 to 1 (0.02) or a "
                        + "percentage (2%), got '" + text + "'.");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new UsageException("Option --max-retransmission-rate needs a number like 0.02 or 2%, got '" + text
                    + "'.", e);
        }
    }

    // Plain code rather than lambdas and streams in the CLI's path, here as in the analysis: the first lambda of a
    // run links the method-handle machinery, a few milliseconds of every run on a JVM that has not compiled it.
    private static void write(String target, String kind, String text, PrintStream out) throws UsageException {
        if (target.equals("-")) {
            print(out, text);
            return;
        }
        try {
            Reports.write(Path.of(target), text);
        } catch (IOException | RuntimeException e) {
            throw new UsageException("Cannot write the " + kind + " report to " + target + ": " + e
                    + ". Check that the directory is writable, or give another path.", e);
        }
    }

    /** Reports are UTF-8 whatever the platform charset, on stdout as in files. */
    private static void print(PrintStream out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.flush();
    }

    private static String failureReason(AnalysisReport report, AnalysisOptions options) {
        StringJoiner reasons = new StringJoiner("; ");
        for (Finding finding : report.verdicts()) {
            boolean selected = options.failOn().contains(finding.rule())
                    && finding.count() > options.threshold(finding.rule());
            boolean rate = finding.rule() == Rule.TCP_RETRANSMISSION && options.maxRetransmissionRate() >= 0
                    && finding.severity() == Severity.ERROR;
            boolean unreadable = finding.rule() == Rule.CAPTURE_INCOMPLETE && finding.severity() == Severity.ERROR;
            if (selected || rate || unreadable) {
                reasons.add(finding.rule().id() + " x" + finding.count() + " (" + finding.message() + ")");
            }
        }
        return reasons.length() == 0 ? "see the reports" : reasons.toString();
    }

    static String help() {
        StringBuilder help = new StringBuilder();
        help.append("""
                Usage: capture-packets analyze [OPTIONS] CAPTURE...

                Analyzes pcap and pcapng captures (any size, streamed; several captures are analyzed together, each
                capture's flows kept apart) and prints a Markdown summary to stdout.

                Options:
                  --json FILE                   write the JSON report (fields: docs/report-format.md)
                  --html FILE                   write the single-file HTML report (timeline, sortable flow table)
                  --markdown FILE               write the Markdown summary to FILE too
                                                FILE may be - for stdout (one report at most); the summary is then
                                                not printed again
                  --fail-on RULE[,RULE...]      exit 1 when one of these rules occurs more often than its threshold;
                                                repeatable. Groups: all, error (rules of severity ERROR), warn (WARN
                                                and ERROR)
                  --threshold RULE=N            tolerate N occurrences of RULE before it fails (default 0: the first
                                                occurrence fails); repeatable
                  --max-retransmission-rate X   exit 1 when retransmissions exceed X of all TCP data segments: a
                                                fraction (0.02) or a percentage (2%); off by default
                  --dns-timeout DURATION        a DNS query with no answer within DURATION counts as unanswered
                                                (default 5s; 500ms, 5s, 1m or PT5S)
                  --max-flows N                 keep at most N flow summaries in the reports, the most interesting
                                                first (default 1000)
                  --ignore-interface-duplicates skip a packet seen a moment ago on another interface of the same
                                                capture, as tcpdump -i any on a node records it on the pod's veth
                                                and on the bridge (node mode; rule capture.interface-duplicate
                                                counts them). Off by default, as in Wireshark
                  -q, --quiet                   do not print the summary to stdout
                  -h, --help                    show this help

                Exit status:
                  0  no rule selected with --fail-on exceeded its threshold (the verdict is PASS or WARN)
                  1  one did, or the retransmission rate exceeded --max-retransmission-rate (verdict FAIL)
                  2  usage or input error: unknown option or rule, a missing file, a file that is not a capture
                     (or is empty); the message on stderr names the problem and the fix. No report is written.

                Damaged captures: a capture damaged part-way (a truncated tail, a corrupt record) is analyzed up to
                the damage. The problem is printed on stderr, the reports mark the capture incomplete (rule
                capture.incomplete, severity WARN), and the exit status follows the verdict as usual: add
                --fail-on capture.incomplete to exit 1 on it.

                Dropped packets: packets tcpdump counted as "dropped by kernel" are in no file. A pcapng whose
                interface statistics count drops (capture-packets writes a pod's drops into the merged
                capture.pcapng) is reported incomplete with rule capture.dropped (severity WARN; its count is the
                dropped packets), a warning on stderr names the count, and the tcp.lost-segment findings of that
                capture say their gaps are likely the capture's own losses, not the network's. Add
                --fail-on capture.dropped to exit 1 on it.

                Rules (ids for --fail-on and --threshold; default severity; meaning):
                """);
        int width = 0;
        for (Rule rule : Rule.values()) {
            width = Math.max(width, rule.id().length());
        }
        for (Rule rule : Rule.values()) {
            help.append("  ").append(rule.id()).append(" ".repeat(width + 1 - rule.id().length()))
                    .append(String.format(Locale.ROOT, "%-6s %s%n", rule.defaultSeverity(), rule.description()));
        }
        help.append("""

                Examples:
                  capture-packets analyze capture.pcap
                  capture-packets analyze --fail-on tcp.refused,dns.nxdomain,http.5xx --html report.html *.pcap
                  capture-packets analyze --fail-on error --threshold tcp.reset=2 --json - capture.pcapng | jq .verdict
                """);
        return help.toString();
    }
}
