package io.github.capturepackets.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonReportTest {
    /** Objects whose keys are data (status codes, names), not field names. */
    private static final Set<String> MAPS = Set.of("stats.http.status", "stats.tls.serverNames", "stats.tls.versions",
            "stats.tls.alertDescriptions");

    /**
     * Every path of the JSON report. Changing this list is an API change: update docs/report-format.md and, when a
     * field changes meaning or disappears, bump formatVersion.
     */
    static final List<String> GOLDEN_PATHS = List.of(
            "bytes",
            "complete",
            "droppedPackets",
            "durationMillis",
            "end",
            "flowCount",
            "flows[]",
            "flows[].application",
            "flows[].bytes",
            "flows[].client",
            "flows[].client.address",
            "flows[].client.port",
            "flows[].end",
            "flows[].findings[]",
            "flows[].findings[].count",
            "flows[].findings[].firstFrame",
            "flows[].findings[].firstTime",
            "flows[].findings[].flow",
            "flows[].findings[].message",
            "flows[].findings[].rule",
            "flows[].findings[].severity",
            "flows[].handshakeRttMillis",
            "flows[].id",
            "flows[].packets",
            "flows[].protocol",
            "flows[].server",
            "flows[].server.address",
            "flows[].server.port",
            "flows[].start",
            "flows[].state",
            "formatVersion",
            "linkTypes[]",
            "markers[]",
            "markers[].label",
            "markers[].time",
            "packets",
            "problems[]",
            "problems[].message",
            "problems[].offset",
            "problems[].source",
            "sources[]",
            "start",
            "stats",
            "stats.dns",
            "stats.dns.maxLatencyMillis",
            "stats.dns.medianLatencyMillis",
            "stats.dns.nxdomain",
            "stats.dns.queries",
            "stats.dns.refused",
            "stats.dns.responses",
            "stats.dns.searchNxdomain",
            "stats.dns.servfail",
            "stats.dns.unanswered",
            "stats.http",
            "stats.http.clientErrors",
            "stats.http.maxLatencyMillis",
            "stats.http.medianLatencyMillis",
            "stats.http.requests",
            "stats.http.responses",
            "stats.http.serverErrors",
            "stats.http.status",
            "stats.http.status.*",
            "stats.icmp",
            "stats.icmp.timeExceeded",
            "stats.icmp.unreachable",
            "stats.tcp",
            "stats.tcp.connections",
            "stats.tcp.duplicateAcks",
            "stats.tcp.fastRetransmissions",
            "stats.tcp.lostSegments",
            "stats.tcp.medianHandshakeRttMillis",
            "stats.tcp.midStreamResets",
            "stats.tcp.notClosed",
            "stats.tcp.refused",
            "stats.tcp.resets",
            "stats.tcp.retransmissions",
            "stats.tcp.spuriousRetransmissions",
            "stats.tcp.unansweredSyns",
            "stats.tcp.zeroWindows",
            "stats.tls",
            "stats.tls.alertDescriptions",
            "stats.tls.alertDescriptions.*",
            "stats.tls.alerts",
            "stats.tls.clientHellos",
            "stats.tls.serverNames",
            "stats.tls.serverNames.*",
            "stats.tls.versions",
            "stats.tls.versions.*",
            "verdict",
            "verdicts[]",
            "verdicts[].count",
            "verdicts[].firstFrame",
            "verdicts[].firstTime",
            "verdicts[].flow",
            "verdicts[].message",
            "verdicts[].rule",
            "verdicts[].severity");

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    @DisplayName("the JSON report has exactly the documented field paths, no more, no fewer")
    void fieldNamesAreStable() throws IOException {
        JsonNode json = mapper.readTree(Reports.json(SampleReports.failing()));

        Set<String> paths = new TreeSet<>();
        collect(json, "", paths);

        assertThat(paths).containsExactlyElementsOf(new TreeSet<>(GOLDEN_PATHS));
    }

    @Test
    @DisplayName("an empty report keeps every top-level and stats field, with nulls where there is no value")
    void emptyReportKeepsFields() throws IOException {
        JsonNode json = mapper.readTree(Reports.json(SampleReports.empty()));

        Set<String> paths = new TreeSet<>();
        collect(json, "", paths);

        Set<String> expected = new TreeSet<>(GOLDEN_PATHS);
        expected.removeIf(path -> path.contains("[].") || path.endsWith(".*"));
        assertThat(paths).containsExactlyElementsOf(expected);
        assertThat(json.get("start").isNull()).isTrue();
        assertThat(json.get("durationMillis").isNull()).isTrue();
        assertThat(json.at("/stats/tcp/medianHandshakeRttMillis").isNull()).isTrue();
        assertThat(json.get("flows").isArray()).isTrue();
        assertThat(json.get("flows")).isEmpty();
    }

    @Test
    @DisplayName("docs/report-format.md documents every field path of the JSON report and every rule")
    void everyFieldIsDocumented() throws IOException {
        Path doc = Path.of("..", "docs", "report-format.md");
        String text = Files.readString(doc);
        Set<String> documented = new TreeSet<>();
        Matcher matcher = Pattern.compile("`([A-Za-z][A-Za-z0-9.\\[\\]*]*)`").matcher(text);
        while (matcher.find()) {
            documented.add(matcher.group(1));
        }

        assertThat(documented).containsAll(GOLDEN_PATHS);
        for (Rule rule : Rule.values()) {
            assertThat(text).contains("| `" + rule.id() + "` | " + rule.defaultSeverity() + " | " + rule.description());
        }
    }

    @Test
    @DisplayName("values use the documented encodings: rule ids, enum names, ISO-8601 UTC times, decimal milliseconds")
    void valueEncodings() throws IOException {
        AnalysisReport report = SampleReports.failing();
        JsonNode json = mapper.readTree(Reports.json(report));

        assertThat(json.get("formatVersion").asInt()).isEqualTo(1);
        assertThat(json.get("verdict").asText()).isEqualTo("FAIL");
        assertThat(json.get("packets").asLong()).isEqualTo(1234);
        assertThat(json.get("bytes").asLong()).isEqualTo(2_345_678);
        assertThat(json.get("complete").asBoolean()).isFalse();
        assertThat(json.get("linkTypes").toString()).isEqualTo("[\"LINUX_SLL2\",\"EN10MB\"]");
        assertThat(json.get("start").asText()).isEqualTo("2025-03-04T10:15:30.123456Z");
        assertThat(Instant.parse(json.get("end").asText())).isEqualTo(report.end());
        assertThat(json.get("durationMillis").decimalValue()).isEqualByComparingTo("3000");
        assertThat(json.get("flowCount").asLong()).isEqualTo(5);

        JsonNode first = json.get("verdicts").get(0);
        assertThat(first.get("rule").asText()).isEqualTo("tcp.refused");
        assertThat(first.get("severity").asText()).isEqualTo("ERROR");
        assertThat(first.get("count").asLong()).isEqualTo(1);
        assertThat(first.get("firstFrame").asLong()).isEqualTo(7);
        assertThat(first.get("firstTime").asText()).isEqualTo("2025-03-04T10:15:30.523456Z");
        assertThat(first.get("flow").asText()).isEqualTo("10.0.0.1:40000 -> 10.0.0.2:9999");
        assertThat(json.get("verdicts").get(3).get("flow").isNull()).isTrue();

        assertThat(json.at("/stats/tcp/medianHandshakeRttMillis").decimalValue()).isEqualByComparingTo("0.123");
        assertThat(json.at("/stats/dns/medianLatencyMillis").decimalValue()).isEqualByComparingTo("1.235");
        assertThat(json.at("/stats/http/status/503").asLong()).isEqualTo(2);
        assertThat(json.at("/stats/http/status").fieldNames()).toIterable().containsExactly("200", "404", "503");
        assertThat(json.at("/stats/tls/alertDescriptions/unknown_ca").asLong()).isEqualTo(1);

        JsonNode flow = json.get("flows").get(2);
        assertThat(flow.get("client").get("address").asText()).isEqualTo("10.0.0.1");
        assertThat(flow.get("server").get("port").asInt()).isEqualTo(8080);
        assertThat(flow.get("handshakeRttMillis").decimalValue()).isEqualByComparingTo("0.15");
        assertThat(flow.get("findings").get(0).get("rule").asText()).isEqualTo("http.5xx");
        assertThat(json.get("flows").get(3).get("state").isNull()).isTrue();
        assertThat(json.get("flows").get(4).get("client").get("address").asText()).isEqualTo("fd00::1");

        assertThat(json.get("problems").get(0).get("offset").asLong()).isEqualTo(4096);
        assertThat(json.get("markers").get(0).get("label").asText()).isEqualTo("checkout submitted");
    }

    @Test
    @DisplayName("packets the capture dropped are counted in droppedPackets and the capture.dropped verdict")
    void droppedPackets() throws IOException {
        JsonNode json = mapper.readTree(Reports.json(SampleReports.dropped()));

        assertThat(json.get("complete").asBoolean()).isFalse();
        assertThat(json.get("droppedPackets").asLong()).isEqualTo(2175);
        assertThat(json.get("verdicts").get(1).get("rule").asText()).isEqualTo("capture.dropped");
        assertThat(json.get("verdicts").get(1).get("count").asLong()).isEqualTo(2175);
        assertThat(json.get("problems").get(0).get("offset").asLong()).isEqualTo(-1);
        assertThat(mapper.readTree(Reports.json(SampleReports.failing())).get("droppedPackets").asLong()).isZero();
    }

    @Test
    @DisplayName("strings from the capture survive JSON escaping unchanged")
    void escapingRoundTrips() throws IOException {
        JsonNode json = mapper.readTree(Reports.json(SampleReports.failing()));

        assertThat(json.get("sources").get(1).asText()).isEqualTo("default/pod-b " + SampleReports.HOSTILE);
        assertThat(json.get("verdicts").get(2).get("message").asText())
                .isEqualTo("NXDOMAIN for " + SampleReports.HOSTILE);
    }

    @Test
    @DisplayName("milliseconds keep microseconds and never use exponent notation")
    void millisFormatting() {
        assertThat(JsonReport.millis(Duration.ofNanos(123_456)).toPlainString()).isEqualTo("0.123");
        assertThat(JsonReport.millis(Duration.ofSeconds(10)).toString()).isEqualTo("10000");
        assertThat(JsonReport.millis(Duration.ofNanos(1_500_000)).toString()).isEqualTo("1.5");
        assertThat(JsonReport.millis(Duration.ZERO).toString()).isEqualTo("0");
    }

    @Test
    @DisplayName("writeJson creates missing directories and writes UTF-8")
    void writesFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("a/b/report.json");

        Reports.writeJson(SampleReports.failing(), file);

        assertThat(mapper.readTree(file.toFile()).get("verdict").asText()).isEqualTo("FAIL");
    }

    private static void collect(JsonNode node, String path, Set<String> paths) {
        if (node.isArray()) {
            paths.add(path + "[]");
            for (JsonNode element : node) {
                collect(element, path + "[]", paths);
            }
            return;
        }
        if (!path.isEmpty()) {
            paths.add(path);
        }
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                String name = MAPS.contains(path) ? "*" : field.getKey();
                collect(field.getValue(), path.isEmpty() ? name : path + "." + name, paths);
            }
        }
    }
}
