package io.github.capturepackets.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.analysis.AnalysisOptions;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Analyzer;
import io.github.capturepackets.analysis.FlowSummary;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.testing.OracleFilter;
import io.github.capturepackets.testing.ScenarioCaptures;
import io.github.capturepackets.testing.ScenarioCaptures.Capture;
import io.github.capturepackets.testing.ScenarioCaptures.Scenario;
import io.github.capturepackets.testing.ScenarioCaptures.View;
import io.github.capturepackets.testing.Tshark;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Opens the HTML report in Debian's headless Chromium and checks what is on the page after its scripts ran:
 * sorting by clicking headers, filtering, the timeline, escaping, on hand-built sample reports; and, for every
 * real scenario capture, the report the analyzer made from it, with what the page shows checked against tshark
 * and against the fault the scenario contains. Screenshots land in {@code core/target/report-screenshots/} for a
 * person to look at. Skips when chromium is not installed (and the scenario pages when tshark or the scenario
 * captures are missing).
 */
class HtmlReportInChromiumTest {
    private static final Path SHOTS = Path.of("target", "report-screenshots");
    private static WebDriver driver;

    private static boolean installed() {
        return Files.isExecutable(chromium()) && Files.isExecutable(chromedriver());
    }

    @BeforeEach
    void assumeChromium() {
        // Per test rather than per class, so each skipped test is reported with the reason.
        Assumptions.assumeTrue(installed(), "needs chromium: Headless Chromium is not installed (" + chromium() + ", "
                + chromedriver() + "): install the Debian packages with `apt-get install -y chromium chromium-driver`"
                + " (or set CHROMIUM and CHROMEDRIVER) to run the HTML report checks.");
    }

    @BeforeAll
    static void startBrowser() throws IOException {
        if (!installed()) {
            return;
        }
        Files.createDirectories(SHOTS);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver().toFile())
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium().toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--disable-extensions", "--no-first-run");
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    static Path chromium() {
        String configured = System.getenv("CHROMIUM");
        return Path.of(configured != null ? configured : "/usr/bin/chromium");
    }

    static Path chromedriver() {
        String configured = System.getenv("CHROMEDRIVER");
        return Path.of(configured != null ? configured : "/usr/bin/chromedriver");
    }

    private static Path write(String name, AnalysisReport report) throws IOException {
        Path file = SHOTS.resolve(name + ".html").toAbsolutePath();
        Reports.writeHtml(report, file);
        return file;
    }

    private static void open(Path file) {
        driver.get(file.toUri().toString());
        assertThat(driver.findElement(By.tagName("body")).getAttribute("data-ready"))
                .as("the report's script ran to the end without an error").isEqualTo("true");
    }

    private static List<String> column(String tableId, int index) {
        return driver.findElements(By.cssSelector("#" + tableId + " tbody tr")).stream()
                .filter(WebElement::isDisplayed)
                .map(row -> row.findElements(By.tagName("td")).get(index).getText().trim())
                .collect(Collectors.toList());
    }

    private static void screenshot(String name) throws IOException {
        byte[] png = ((ChromeDriver) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name + ".png"), png);
    }

    @Test
    @DisplayName("the page shows the verdict in colour, findings, stats, the timeline and flows after scripts ran")
    void rendersFailingReport() throws IOException {
        open(write("failing", SampleReports.failing()));

        WebElement verdict = driver.findElement(By.id("verdict"));
        assertThat(verdict.findElement(By.className("verdict-word")).getText()).isEqualTo("FAIL");
        assertThat(verdict.getCssValue("background-color")).isEqualTo("rgba(198, 40, 40, 1)");
        assertThat(driver.findElement(By.id("problems")).getText()).contains("Capture incomplete", "at byte 4096");
        assertThat(column("findings-table", 1)).containsExactly("tcp.refused", "http.5xx", "dns.nxdomain",
                "capture.incomplete", "tcp.retransmission");
        assertThat(driver.findElements(By.cssSelector("#stats-http .sub")).stream().map(WebElement::getText)
                .map(text -> text.replaceAll("\\s+", " "))).containsExactly("200 12", "404 1", "503 2");
        assertThat(driver.findElement(By.id("flow-shown")).getText()).isEqualTo("Showing 5 of 5 flows");

        List<WebElement> bars = driver.findElements(By.cssSelector("#timeline-svg .tl-flow .tl-bar"));
        assertThat(bars).hasSize(5);
        for (WebElement bar : bars) {
            assertThat(bar.getRect().getWidth()).as("every flow bar is visible").isGreaterThanOrEqualTo(1);
        }
        assertThat(driver.findElements(By.cssSelector("#timeline-axis .tl-marker"))).hasSize(2);
        assertThat(driver.findElements(By.cssSelector("#timeline-svg .tl-flow-finding"))).hasSize(4);
        assertThat(driver.findElement(By.cssSelector(".tl-bar.state-refused")).getCssValue("fill"))
                .isEqualTo("rgb(229, 57, 53)");
        screenshot("failing");
    }

    /** The rule ids of the fault each scenario was made to contain (see core/src/test/scenarios/make-captures.sh). */
    private static List<String> faultRules(Scenario scenario) {
        return switch (scenario) {
            case TCP_RESETS, IPV6 -> List.of("tcp.refused", "tcp.reset");
            case TCP_LOSS -> List.of("tcp.retransmission");
            case TCP_UNANSWERED -> List.of("tcp.unanswered-syn");
            case TCP_ZERO_WINDOW -> List.of("tcp.zero-window");
            case DNS -> List.of("dns.nxdomain", "dns.servfail", "dns.refused", "dns.unanswered");
            case HTTP -> List.of("http.4xx", "http.5xx");
            case TLS -> List.of("tls.alert");
            case ICMP -> List.of("icmp.unreachable", "icmp.time-exceeded");
        };
    }

    /** The value shown for one row of a stats card ("#stats-tcp", row "Resets"), as a number. */
    private static long stat(String card, String row) {
        List<WebElement> rows = driver.findElements(By.xpath("//div[@id='stats-" + card + "']//div[dt[normalize-space()='"
                + row + "']]"));
        assertThat(rows).as("the %s card shows a '%s' row", card, row).hasSize(1);
        return Long.parseLong(rows.get(0).findElement(By.tagName("dd")).getText().replace(",", "").trim());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Scenario.class)
    @DisplayName("the analyzer's report of a real scenario capture renders: its fault in the findings, the counts "
            + "tshark finds in the capture, a row and a timeline bar per flow, FAIL in red for the rule failed on")
    void rendersRealScenarioReport(Scenario scenario) throws IOException {
        Tshark.assumeAvailable();
        Capture capture = ScenarioCaptures.get().capture(scenario, View.ETHERNET);
        // The scenario's first fault is selected to fail on, as a CI job would (--fail-on): the page must say FAIL.
        String failOn = faultRules(scenario).get(0);
        Rule rule = Arrays.stream(Rule.values()).filter(r -> r.id().equals(failOn)).findFirst().orElseThrow();
        AnalysisReport report = Analyzer.analyze(List.of(capture.path()), List.of(capture.toString()),
                AnalysisOptions.defaults().withFailOn(Set.of(rule)), List.of());
        String name = "scenario-" + scenario.directory();
        open(write(name, report));

        List<String> rules = column("findings-table", 1);
        assertThat(rules).as("findings shown for %s", capture).containsAll(faultRules(scenario));

        Map<String, String> filters = new LinkedHashMap<>();
        filters.put("tcp/Resets", OracleFilter.RESETS.filter());
        filters.put("tcp/Retransmissions", OracleFilter.RETRANSMISSIONS.filter());
        filters.put("tcp/Duplicate ACKs", OracleFilter.DUPLICATE_ACKS.filter());
        filters.put("tcp/Zero windows", OracleFilter.ZERO_WINDOWS.filter());
        filters.put("dns/Queries", OracleFilter.DNS_QUERIES.filter());
        filters.put("dns/NXDOMAIN", OracleFilter.DNS_NXDOMAIN.filter());
        filters.put("dns/SERVFAIL", OracleFilter.DNS_SERVFAIL.filter());
        filters.put("http/Requests", OracleFilter.HTTP_REQUESTS.filter());
        filters.put("tls/Alerts", OracleFilter.TLS_ALERTS.filter());
        filters.put("icmp/Destination unreachable", OracleFilter.ICMP_UNREACHABLE.filter());
        Map<String, Long> tshark = Tshark.counts(capture.path(), filters.values(), capture.decodeAs());
        for (Map.Entry<String, String> entry : filters.entrySet()) {
            String[] cardAndRow = entry.getKey().split("/");
            assertThat(stat(cardAndRow[0], cardAndRow[1])).as("%s on the page of %s vs tshark '%s'", entry.getKey(),
                    capture, entry.getValue()).isEqualTo(tshark.get(entry.getValue()));
        }
        if (scenario == Scenario.HTTP) {
            for (int code : List.of(200, 404, 500, 503)) {
                List<WebElement> sub = driver.findElements(By.xpath("//div[@id='stats-http']//div[contains(@class,'sub')]"
                        + "[dt[normalize-space()='" + code + "']]/dd"));
                assertThat(sub).as("status %d shown", code).hasSize(1);
                assertThat(Long.parseLong(sub.get(0).getText().replace(",", "").trim())).as("status %d", code)
                        .isEqualTo(Tshark.count(capture.path(), OracleFilter.httpStatus(code), capture.decodeAs()));
            }
        }

        int flows = report.flows().size();
        assertThat(flows).as("flows in the report of %s", capture).isPositive();
        assertThat(driver.findElement(By.id("flow-shown")).getText())
                .isEqualTo("Showing " + flows + " of " + flows + " flows");
        assertThat(column("flows-table", 0)).hasSize(flows);
        assertThat(driver.findElements(By.cssSelector("#timeline-svg .tl-flow"))).hasSize(flows);

        WebElement verdict = driver.findElement(By.id("verdict"));
        assertThat(verdict.findElement(By.className("verdict-word")).getText()).as("the verdict of %s", capture)
                .isEqualTo("FAIL");
        assertThat(verdict.getCssValue("background-color")).as("red").isEqualTo("rgba(198, 40, 40, 1)");
        int row = rules.indexOf(failOn);
        assertThat(column("findings-table", 0).get(row)).isEqualTo("ERROR");
        assertThat(column("findings-table", 6).get(row)).endsWith("(fails: more than 0 allowed)");
        screenshot(name);
    }

    @Test
    @DisplayName("clicking a numeric header sorts the flow table numerically, clicking again reverses it")
    void sortsNumerically() throws IOException {
        AnalysisReport report = SampleReports.manyFlows(200);
        open(write("many", report));
        List<String> original = column("flows-table", 0);

        driver.findElement(By.xpath("//table[@id='flows-table']//th[text()='Packets']")).click();

        List<FlowSummary> byPackets = new ArrayList<>(report.flows());
        byPackets.sort(Comparator.comparingLong(FlowSummary::packets));
        List<String> expected = byPackets.stream().map(flow -> String.valueOf(flow.id())).toList();
        List<String> ascending = column("flows-table", 0);
        assertThat(ascending).isNotEqualTo(original).containsExactlyElementsOf(expected);
        List<Long> packets = column("flows-table", 5).stream().map(text -> Long.parseLong(text.replace(",", "")))
                .toList();
        assertThat(packets).isSorted();
        assertThat(driver.findElement(By.xpath("//table[@id='flows-table']//th[text()='Packets']"))
                .getAttribute("aria-sort")).isEqualTo("ascending");

        driver.findElement(By.xpath("//table[@id='flows-table']//th[text()='Packets']")).click();
        List<Long> descending = column("flows-table", 5).stream()
                .map(text -> Long.parseLong(text.replace(",", ""))).toList();
        assertThat(descending).isSortedAccordingTo(Comparator.reverseOrder());
        assertThat(descending.get(0)).isEqualTo(byPackets.get(byPackets.size() - 1).packets());

        // Bytes are shown as "1.2 MiB" but sort by the exact count.
        driver.findElement(By.xpath("//table[@id='flows-table']//th[text()='Bytes']")).click();
        List<FlowSummary> byBytes = new ArrayList<>(report.flows());
        byBytes.sort(Comparator.comparingLong(FlowSummary::bytes));
        assertThat(column("flows-table", 0))
                .containsExactlyElementsOf(byBytes.stream().map(flow -> String.valueOf(flow.id())).toList());
        screenshot("many-sorted-by-bytes");
    }

    @Test
    @DisplayName("the text filter and the only-with-findings switch hide rows and update the count")
    void filters() throws IOException {
        AnalysisReport report = SampleReports.manyFlows(200);
        open(write("many-filter", report));
        long refused = report.flows().stream().filter(flow -> "REFUSED".equals(flow.state())).count();
        long withFindings = report.flows().stream().filter(flow -> !flow.findings().isEmpty()).count();

        driver.findElement(By.id("flow-filter")).sendKeys("refused");
        assertThat(column("flows-table", 4)).hasSize((int) refused).containsOnly("REFUSED");
        assertThat(driver.findElement(By.id("flow-shown")).getText())
                .isEqualTo("Showing " + refused + " of 200 flows");

        driver.findElement(By.id("flow-filter")).clear();
        driver.findElement(By.id("flow-only-findings")).click();
        assertThat(column("flows-table", 0)).hasSize((int) withFindings);
    }

    @Test
    @DisplayName("clicking a timeline bar highlights its flow row")
    void timelineLinksToTable() throws IOException {
        open(write("failing-click", SampleReports.failing()));

        driver.findElement(By.cssSelector(".tl-flow[data-flow='3'] .tl-bar")).click();

        assertThat(driver.findElement(By.id("flow-3")).getAttribute("class")).contains("highlight");
        assertThat(driver.findElement(By.id("flow-1")).getAttribute("class")).doesNotContain("highlight");
    }

    @Test
    @DisplayName("hostile names from the capture show as text and run nothing")
    void hostileTextStaysText() throws IOException {
        open(write("hostile", SampleReports.failing()));

        assertThat(driver.findElement(By.tagName("body")).getText()).contains(SampleReports.HOSTILE);
        assertThat(driver.findElements(By.tagName("script"))).hasSize(1);
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    }

    @Test
    @DisplayName("a thousand flows render: every flow has a bar and a row, the timeline scrolls inside its box")
    void manyFlows() throws IOException {
        open(write("thousand", SampleReports.manyFlows(1000)));

        assertThat(driver.findElements(By.cssSelector("#timeline-svg .tl-flow"))).hasSize(1000);
        assertThat(driver.findElement(By.id("flow-shown")).getText()).isEqualTo("Showing 1000 of 1000 flows");
        WebElement box = driver.findElement(By.className("timeline-scroll"));
        assertThat(box.getSize().getHeight()).isLessThan(driver.manage().window().getSize().getHeight());
        screenshot("thousand");
    }

    @Test
    @DisplayName("chromium --dump-dom shows the DOM after the report's script ran")
    void dumpDom() throws IOException, InterruptedException {
        Path file = write("dump", SampleReports.failing());
        Path out = SHOTS.resolve("dump.dom.html");
        Process process = new ProcessBuilder(chromium().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--dump-dom", file.toUri().toString())
                .redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chromium --dump-dom did not finish within 60 s");
        }
        String dom = Files.readString(out, StandardCharsets.UTF_8);

        assertThat(dom).contains("data-ready=\"true\"");
        assertThat(dom).contains("Showing 5 of 5 flows");
        assertThat(dom).contains("title=\"Sort by Packets\"");
        assertThat(new File(out.toString())).isNotEmpty();
    }
}
