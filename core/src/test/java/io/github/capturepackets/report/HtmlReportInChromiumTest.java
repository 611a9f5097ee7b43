package io.github.capturepackets.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.FlowSummary;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
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
 * sorting by clicking headers, filtering, the timeline, escaping. Screenshots land in
 * {@code core/target/report-screenshots/} for a person to look at. Skips when chromium is not installed.
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
        Assumptions.assumeTrue(installed(), "Headless Chromium is not installed (" + chromium() + ", "
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
