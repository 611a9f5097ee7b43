package io.github.capturepackets.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Checks on the HTML source; what a browser makes of it is checked in {@link HtmlReportInChromiumTest}. */
class HtmlReportTest {

    @Test
    @DisplayName("the page references no external asset and forbids loading any")
    void selfContained() {
        String html = Reports.html(SampleReports.failing());

        assertThat(html).startsWith("<!DOCTYPE html>");
        assertThat(html).contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';");
        assertThat(html).doesNotContainPattern("(?i)<(img|link|iframe|object|embed)\\b");
        assertThat(html).doesNotContainPattern("(?i)\\s(src|href)\\s*=");
        assertThat(html).doesNotContainPattern("(?i)url\\(|@import");
        // The only URL is the SVG namespace, which is a name, not a fetch.
        Matcher urls = Pattern.compile("https?://[^\"'\\s<]+").matcher(html);
        while (urls.find()) {
            assertThat(urls.group()).isIn("http://www.w3.org/2000/svg", "http://e)");
        }
    }

    @Test
    @DisplayName("strings from the capture are escaped in text and attributes; the only script is the report's own")
    void escapesEverything() {
        String html = Reports.html(SampleReports.failing());

        assertThat(html).doesNotContain("<script>alert", "<b>1</b>");
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assertThat(html).contains("GET /checkout?x=&lt;b&gt;1&lt;/b&gt;");
        assertThat(Pattern.compile("<script").matcher(html).results().count()).isEqualTo(1);
        assertThat(HtmlReport.esc("a\"b'c<d>&e\u0001")).isEqualTo("a&quot;b&#39;c&lt;d&gt;&amp;e ");
        assertThat(HtmlReport.esc(null)).isEmpty();
    }

    @Test
    @DisplayName("the verdict, the problems of an incomplete capture, findings, stats, timeline and flows are all there")
    void sections() {
        String html = Reports.html(SampleReports.failing());

        assertThat(html).contains("class=\"verdict verdict-fail\"", "<div class=\"verdict-word\">FAIL</div>");
        assertThat(html).contains("<h2>Capture incomplete</h2>", "at byte 4096");
        assertThat(html).contains("id=\"findings-table\"", "id=\"stats-tcp\"", "id=\"timeline-svg\"",
                "id=\"flows-table\"");
        assertThat(Pattern.compile("class=\"tl-flow\"").matcher(html).results().count()).isEqualTo(5);
        assertThat(Pattern.compile("class=\"tl-marker\"").matcher(html).results().count()).isEqualTo(2);
        assertThat(html).contains("class=\"tl-bar state-refused\"", "class=\"tl-bar state-reset\"",
                "class=\"tl-bar state-other\"");
    }

    @Test
    @DisplayName("a capture that dropped packets shows the count in the facts and a problems section saying so")
    void dropped() {
        String html = Reports.html(SampleReports.dropped());

        assertThat(html).contains("<dt>Complete</dt><dd>NO - dropped 2,175 packets; see problems</dd>");
        assertThat(html).contains("<h2>Capture dropped packets</h2>\n<p id=\"dropped\">The capture dropped 2,175 "
                + "packets (rule capture.dropped): tcpdump could not keep up");
        assertThat(html).doesNotContain("cover only the packets read before each problem");
        assertThat(Reports.html(SampleReports.failing())).doesNotContain("id=\"dropped\"");
    }

    @Test
    @DisplayName("an empty report renders without a timeline or flow table, and a passing one shows PASS")
    void emptyAndPassing() {
        String empty = Reports.html(SampleReports.empty());
        assertThat(empty).contains("No packets with timestamps.", "No flows.", "No findings.");
        assertThat(empty).doesNotContain("id=\"problems\"");

        String passing = Reports.html(SampleReports.passing());
        assertThat(passing).contains("verdict-pass", ">PASS</div>");
    }

    @Test
    @DisplayName("the page size stays proportional to the flows shown, and flows beyond the HTML bound are cut")
    void bounded() {
        String thousand = Reports.html(SampleReports.manyFlows(1000));
        assertThat(thousand.length()).isLessThan(3_000_000);

        // The page's documented bound (docs/report-format.md: "at most 5000 flows"), written out.
        String many = Reports.html(SampleReports.manyFlows(5010));
        assertThat(Pattern.compile("<tr id=\"flow-").matcher(many).results().count()).isEqualTo(5000);
        assertThat(many).contains("... and 10 more flows in the JSON report.");
    }
}
