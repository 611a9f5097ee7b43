package io.github.capturepackets.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.CaptureProblem;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.Rule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MarkdownReportTest {

    @Test
    @DisplayName("a failing report starts with a plain-text verdict marker and lists findings, stats, flows and problems")
    void failingSummary() {
        String md = Reports.markdown(SampleReports.failing());

        assertThat(md.lines().findFirst()).hasValue("### Capture Packets: FAIL");
        assertThat(md).contains("**[FAIL]** 2 errors, 2 warnings, 1 note in 1,234 packets (2.2 MiB, 5 flows) over"
                + " 3.0 s from 2 captures.");
        assertThat(md).contains("**Capture incomplete:**");
        assertThat(md).contains("#### Findings", "| Severity | Rule | Count | First frame | Flow | Message |");
        assertThat(md).contains("| ERROR | `tcp.refused` | 1 | 7 | `10.0.0.1:40000 -> 10.0.0.2:9999` | Connection to"
                + " 10.0.0.2:9999 refused |");
        assertThat(md).contains("#### Key stats", "- TCP: 14 connections, 3 resets (1 refused, 2 mid-stream), "
                + "7 retransmissions, 5 duplicate ACKs, 1 zero window, 1 unanswered SYN, median handshake RTT 0.123 ms");
        assertThat(md).contains("- HTTP: 15 requests, status 200 x12, 404 x1, 503 x2");
        assertThat(md).contains("- TLS: 2 ClientHellos (api.example.test x2), 1 alert (unknown\\_ca x1)");
        assertThat(md).contains("#### Flows with findings");
        assertThat(md).contains("#### Capture problems", "- `pod-b.pcap` at byte 4096: Truncated record");
        // One example flow per rule, in the order of the verdicts: refused (flow 1), 5xx (flow 3), NXDOMAIN (flow 4).
        assertThat(md.indexOf("| 1 | TCP |")).isLessThan(md.indexOf("| 3 | TCP/HTTP"));
        assertThat(md.indexOf("| 3 | TCP/HTTP")).isLessThan(md.indexOf("| 4 | UDP/DNS"));
    }

    @Test
    @DisplayName("a capture that dropped packets says so first, with the count, and that gaps are likely its own")
    void droppedSummary() {
        String md = Reports.markdown(SampleReports.dropped());

        assertThat(md).contains("\n**Capture dropped packets:** the capture dropped 2,175 packets (rule "
                + "capture.dropped): tcpdump could not keep up, so they are in no file, and gaps in this window (such as "
                + "tcp.lost-segment, previous segment not captured) are likely the capture's own losses, not the "
                + "network's. See Capture problems.\n");
        assertThat(md.indexOf("**Capture dropped packets:**")).isLessThan(md.indexOf("#### Findings"));
        // Read whole, so not the damaged-file line, whose "counts cover only what was read" would mislead.
        assertThat(md).doesNotContain("**Capture incomplete:**");
        assertThat(md).contains("| WARN | `capture.dropped` | 2,175 | 0 |");
        assertThat(Reports.markdown(SampleReports.failing())).doesNotContain("Capture dropped packets");
    }

    @Test
    @DisplayName("a passing report says so and has no findings table or problem list")
    void passingSummary() {
        String md = Reports.markdown(SampleReports.passing());

        assertThat(md).startsWith("### Capture Packets: PASS\n\n**[PASS]** no findings in 12 packets");
        assertThat(md).contains("#### Findings\n\nNone.");
        assertThat(md).doesNotContain("Capture problems", "Capture incomplete", "Flows with findings", "| Severity");
        assertThat(md).doesNotContainPattern("[\\x{1F300}-\\x{1FAFF}\\x{2600}-\\x{27BF}]");
    }

    @Test
    @DisplayName("an empty capture still produces a readable summary")
    void emptySummary() {
        String md = Reports.markdown(SampleReports.empty());

        assertThat(md).contains("**[PASS]** no findings in 0 packets (0 B, 0 flows) from 1 capture.");
        assertThat(md).contains("- TCP: 0 connections");
        assertThat(md).doesNotContain("DNS:", "HTTP:", "over");
    }

    @Test
    @DisplayName("text from the capture cannot break a table row or inject HTML or links")
    void escapesCaptureText() {
        String md = Reports.markdown(SampleReports.failing());

        String nxRow = md.lines().filter(line -> line.contains("dns.nxdomain")).findFirst().orElseThrow();
        assertThat(nxRow).doesNotContain("<script>", "*bold*", "[l](");
        assertThat(nxRow).contains("\\<script\\>", "\\*bold\\*", "\\[l\\](http://e)", "&amp;", "\\`tick\\`");
        // Six columns: seven unescaped pipes.
        assertThat(nxRow.replace("\\|", "").chars().filter(c -> c == '|').count()).isEqualTo(7);
        // Inside code spans CommonMark shows text literally; everywhere else markup must be escaped.
        assertThat(md.replaceAll("(`+)(?!`).*?(?<!`)\\1(?!`)", "")).doesNotContain("<script>", "<b>");
        assertThat(md).contains("``default/pod-b <script>alert('x')</script> \\| *bold* _u_ `tick` [l](http://e) & \"q\"``");
    }

    @Test
    @DisplayName("code spans survive backticks and pipes inside them")
    void codeSpans() {
        assertThat(MarkdownReport.code("a`b")).isEqualTo("``a`b``");
        assertThat(MarkdownReport.code("`x")).isEqualTo("`` `x ``");
        assertThat(MarkdownReport.code("a|b")).isEqualTo("`a\\|b`");
        assertThat(MarkdownReport.code("two\nlines")).isEqualTo("`two lines`");
    }

    @Test
    @DisplayName("the flows shown first include one example per rule, so a rarer finding is not hidden by a common one")
    void flowsShowEveryRule() {
        String md = Reports.markdown(SampleReports.manyFlows(200));

        String table = md.substring(md.indexOf("#### Flows with findings"), md.indexOf("... and"));
        assertThat(table).contains("| REFUSED |", "| RESET |");
        assertThat(table.indexOf("| RESET |")).isLessThan(table.indexOf("| REFUSED |", table.indexOf("| REFUSED |") + 1));
    }

    @Test
    @DisplayName("long lists are cut with '... and N more' so the summary stays comment-sized")
    void boundedSize() {
        AnalysisReport many = SampleReports.manyFlows(1000);
        List<Finding> verdicts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            verdicts.add(SampleReports.finding(Rule.values()[i % Rule.values().length], i + 1, i + 1, i, null,
                    "finding " + i + " " + "x".repeat(500)));
        }
        List<CaptureProblem> problems = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            problems.add(new CaptureProblem("c" + i + ".pcap", i, "broken"));
        }
        AnalysisReport report = new AnalysisReport(many.sources(), many.packets(), many.bytes(), many.linkTypes(),
                false, problems, many.start(), many.end(), many.flowCount(), many.flows(), many.stats(), verdicts,
                many.verdict(), many.markers());

        String md = Reports.markdown(report);

        assertThat(md).contains("... and 15 more findings.");
        assertThat(md).contains("... and 390 more flows with findings.");
        assertThat(md).contains("... and 20 more problems.");
        assertThat(md).contains("The report keeps 1,000 of 3,000 flows.");
        assertThat(md).doesNotContain("x".repeat(201));
        assertThat(md.length()).isLessThan(20_000);
    }
}
