package io.github.capturepackets.report;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.FlowSummary;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.analysis.Severity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** Human-readable numbers, sizes and times shared by the Markdown and HTML reports. */
final class Format {
    private Format() {
    }

    /**
     * With thousands separators, as {@code String.format(Locale.ROOT, "%,d", value)} writes it. Written out, like
     * {@link #fixed}: the first {@code String.format} of a run loads the formatter, its regular expressions and the
     * locale's number symbols, about 10 ms of the command line's time.
     */
    static String count(long value) {
        String digits = Long.toString(value);
        int sign = value < 0 ? 1 : 0;
        int length = digits.length() - sign;
        if (length <= 3) {
            return digits;
        }
        StringBuilder grouped = new StringBuilder(digits.length() + length / 3);
        int first = sign + (length % 3 == 0 ? 3 : length % 3);
        grouped.append(digits, 0, first);
        for (int i = first; i < digits.length(); i += 3) {
            grouped.append(',').append(digits, i, i + 3);
        }
        return grouped.toString();
    }

    /** {@code value} with {@code decimals} decimals, rounded half up, as {@code String.format("%.Nf")} writes it. */
    static String fixed(double value, int decimals) {
        String text = BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
        // The formatter keeps the sign of a negative value that rounds to zero ("-0.0").
        return value < 0 && text.charAt(0) != '-' ? "-" + text : text;
    }

    static String plural(long value, String one, String many) {
        return count(value) + " " + (value == 1 ? one : many);
    }

    static String bytes(long value) {
        if (value < 1024) {
            return value + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double scaled = value;
        int unit = -1;
        while (scaled >= 1024 && unit < units.length - 1) {
            scaled /= 1024;
            unit++;
        }
        return fixed(scaled, scaled < 10 ? 1 : 0) + " " + units[unit];
    }

    /** Sub-millisecond precision for short times (loopback RTTs), seconds or minutes for long ones. */
    static String duration(Duration duration) {
        if (duration == null) {
            return "";
        }
        long nanos = duration.toNanos();
        double millis = nanos / 1e6;
        if (Math.abs(millis) < 1) {
            return fixed(millis, 3) + " ms";
        }
        if (Math.abs(millis) < 100) {
            return fixed(millis, 1) + " ms";
        }
        if (Math.abs(millis) < 1000) {
            return fixed(millis, 0) + " ms";
        }
        double seconds = millis / 1000;
        if (Math.abs(seconds) < 120) {
            return fixed(seconds, 1) + " s";
        }
        long whole = duration.getSeconds();
        return whole / 60 + " min " + whole % 60 + " s";
    }

    static Duration between(Instant start, Instant end) {
        return start == null || end == null ? null : Duration.between(start, end);
    }

    /** Time of day in UTC with milliseconds, enough to find the moment in a test log. */
    static String time(Instant instant) {
        if (instant == null) {
            return "";
        }
        String text = instant.toString();
        int dot = text.indexOf('.');
        // Trim sub-millisecond digits: 2025-01-02T03:04:05.123456789Z -> 2025-01-02T03:04:05.123Z
        if (dot >= 0 && text.length() - dot - 2 > 3) {
            text = text.substring(0, dot + 4) + "Z";
        }
        return text.replace('T', ' ');
    }

    /**
     * Why packets the capture dropped matter, for the summary line of the Markdown and HTML reports: they tell a
     * capture that could not keep up apart from loss on the network.
     */
    static String dropped(long packets) {
        return "the capture dropped " + count(packets) + (packets == 1 ? " packet" : " packets") + " (rule "
                + "capture.dropped): tcpdump could not keep up, so they are in no file, and gaps in this window (such "
                + "as tcp.lost-segment, previous segment not captured) are likely the capture's own losses, not the "
                + "network's.";
    }

    static String flowText(FlowSummary flow) {
        return flow.client() + " -> " + flow.server();
    }

    static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    /** {@code "200 x3, 500 x1"} from a count map, in the map's order. */
    static String counts(Map<?, Long> counts, int max) {
        if (counts == null || counts.isEmpty()) {
            return "";
        }
        StringJoiner joined = new StringJoiner(", ");
        int shown = 0;
        for (Map.Entry<?, Long> entry : counts.entrySet()) {
            if (shown == max) {
                joined.add("... and " + (counts.size() - max) + " more");
                break;
            }
            joined.add(entry.getKey() + " x" + count(entry.getValue() == null ? 0 : entry.getValue()));
            shown++;
        }
        return joined.toString();
    }

    /** How many verdicts there are of each severity, most severe first: {@code "2 errors, 1 warning"}. */
    static String severityCounts(List<Finding> findings) {
        StringJoiner joined = new StringJoiner(", ");
        for (Severity severity : new Severity[] {Severity.ERROR, Severity.WARN, Severity.NOTE, Severity.CHAT}) {
            long rules = 0;
            for (Finding f : findings) {
                rules += f.severity() == severity ? 1 : 0;
            }
            if (rules > 0) {
                joined.add(switch (severity) {
                    case ERROR -> plural(rules, "error", "errors");
                    case WARN -> plural(rules, "warning", "warnings");
                    case NOTE -> plural(rules, "note", "notes");
                    case CHAT -> plural(rules, "chat", "chats");
                });
            }
        }
        return joined.length() == 0 ? "no findings" : joined.toString();
    }

    /**
     * Flows that have findings, for the summaries: first one example flow per rule, in the order of the report's
     * verdicts (most severe first), so a rare refused connection is not hidden behind a hundred 5xx flows; then the
     * rest, worst first (highest severity, then most findings).
     */
    static List<FlowSummary> flowsWithFindings(AnalysisReport report) {
        // Runs once per report, after the last packet, in code the JIT has not compiled: each flow's sort keys and
        // rules are computed once (not per comparison), and flows are tracked by position, not hashed.
        List<Ranked> ranked = new ArrayList<>();
        for (FlowSummary flow : nonNull(report.flows())) {
            List<Finding> findings = nonNull(flow.findings());
            if (!findings.isEmpty()) {
                long rules = 0;
                for (Finding finding : findings) {
                    rules |= ruleBit(finding.rule());
                }
                ranked.add(new Ranked(flow, worstSeverity(flow).ordinal(), findingCount(flow), rules));
            }
        }
        ranked.sort(Ranked.WORST_FIRST);
        boolean[] taken = new boolean[ranked.size()];
        List<FlowSummary> ordered = new ArrayList<>(ranked.size());
        for (Finding verdict : nonNull(report.verdicts())) {
            long bit = ruleBit(verdict.rule());
            for (int i = 0; i < ranked.size(); i++) {
                if (!taken[i] && (ranked.get(i).rules & bit) != 0) {
                    taken[i] = true;
                    ordered.add(ranked.get(i).flow);
                    break;
                }
            }
        }
        for (int i = 0; i < ranked.size(); i++) {
            if (!taken[i]) {
                ordered.add(ranked.get(i).flow);
            }
        }
        return ordered;
    }

    /** A bit per rule (bit 63 for a finding without one). */
    private static long ruleBit(Rule rule) {
        return 1L << (rule == null ? 63 : rule.ordinal());
    }

    /** A flow with its sort keys: highest severity first, then most findings, then lowest id. */
    private record Ranked(FlowSummary flow, int worst, long count, long rules) {
        static final Comparator<Ranked> WORST_FIRST = new Comparator<>() {
            @Override
            public int compare(Ranked a, Ranked b) {
                int c = Integer.compare(b.worst, a.worst);
                if (c == 0) {
                    c = Long.compare(b.count, a.count);
                }
                return c != 0 ? c : Long.compare(a.flow.id(), b.flow.id());
            }
        };
    }

    static Severity worstSeverity(FlowSummary flow) {
        Severity worst = Severity.CHAT;
        for (Finding finding : nonNull(flow.findings())) {
            if (finding.severity() != null && finding.severity().atLeast(worst)) {
                worst = finding.severity();
            }
        }
        return worst;
    }

    static long findingCount(FlowSummary flow) {
        long total = 0;
        for (Finding finding : nonNull(flow.findings())) {
            total += finding.count();
        }
        return total;
    }
}
