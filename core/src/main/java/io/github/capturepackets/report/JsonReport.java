package io.github.capturepackets.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.CaptureProblem;
import io.github.capturepackets.analysis.Endpoint;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.FlowSummary;
import io.github.capturepackets.analysis.Marker;
import io.github.capturepackets.analysis.Stats;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The JSON report. Every field name is written here as a literal, not derived from the model's component names,
 * so renaming a record component cannot rename a field; {@code docs/report-format.md} documents each one and
 * {@code JsonReportTest} guards the list.
 */
final class JsonReport {
    /** Bumped only when a field changes meaning or disappears; new fields do not change it. */
    static final int FORMAT_VERSION = 1;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private JsonReport() {
    }

    static String write(AnalysisReport report) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.useDefaultPrettyPrinter();
            report(json, report);
        } catch (IOException e) {
            // A StringWriter does not fail; anything here is a bug in this class.
            throw new UncheckedIOException(e);
        }
        return out.append('\n').toString();
    }

    private static void report(JsonGenerator json, AnalysisReport report) throws IOException {
        json.writeStartObject();
        json.writeNumberField("formatVersion", FORMAT_VERSION);
        json.writeStringField("verdict", name(report.verdict()));
        strings(json, "sources", report.sources());
        json.writeNumberField("packets", report.packets());
        json.writeNumberField("bytes", report.bytes());
        strings(json, "linkTypes", report.linkTypes());
        json.writeBooleanField("complete", report.complete());
        json.writeNumberField("droppedPackets", report.droppedPackets());
        instant(json, "start", report.start());
        instant(json, "end", report.end());
        millis(json, "durationMillis", report.start() == null || report.end() == null ? null
                : Duration.between(report.start(), report.end()));
        json.writeNumberField("flowCount", report.flowCount());

        json.writeArrayFieldStart("problems");
        for (CaptureProblem problem : nonNull(report.problems())) {
            json.writeStartObject();
            json.writeStringField("source", problem.source());
            json.writeNumberField("offset", problem.offset());
            json.writeStringField("message", problem.message());
            json.writeEndObject();
        }
        json.writeEndArray();

        json.writeArrayFieldStart("verdicts");
        for (Finding finding : nonNull(report.verdicts())) {
            finding(json, finding);
        }
        json.writeEndArray();

        json.writeFieldName("stats");
        stats(json, report.stats());

        json.writeArrayFieldStart("flows");
        for (FlowSummary flow : nonNull(report.flows())) {
            flow(json, flow);
        }
        json.writeEndArray();

        json.writeArrayFieldStart("markers");
        for (Marker marker : nonNull(report.markers())) {
            json.writeStartObject();
            instant(json, "time", marker.time());
            json.writeStringField("label", marker.label());
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    private static void finding(JsonGenerator json, Finding finding) throws IOException {
        json.writeStartObject();
        json.writeStringField("rule", finding.rule() == null ? null : finding.rule().id());
        json.writeStringField("severity", name(finding.severity()));
        json.writeNumberField("count", finding.count());
        json.writeStringField("message", finding.message());
        json.writeNumberField("firstFrame", finding.firstFrame());
        instant(json, "firstTime", finding.firstTime());
        json.writeStringField("flow", finding.flow());
        json.writeEndObject();
    }

    private static void flow(JsonGenerator json, FlowSummary flow) throws IOException {
        json.writeStartObject();
        json.writeNumberField("id", flow.id());
        json.writeStringField("protocol", flow.protocol());
        endpoint(json, "client", flow.client());
        endpoint(json, "server", flow.server());
        json.writeStringField("application", flow.application());
        json.writeNumberField("packets", flow.packets());
        json.writeNumberField("bytes", flow.bytes());
        instant(json, "start", flow.start());
        instant(json, "end", flow.end());
        json.writeStringField("state", flow.state());
        millis(json, "handshakeRttMillis", flow.handshakeRtt());
        json.writeArrayFieldStart("findings");
        for (Finding finding : nonNull(flow.findings())) {
            finding(json, finding);
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    private static void endpoint(JsonGenerator json, String field, Endpoint endpoint) throws IOException {
        if (endpoint == null) {
            json.writeNullField(field);
            return;
        }
        json.writeObjectFieldStart(field);
        json.writeStringField("address", endpoint.address());
        json.writeNumberField("port", endpoint.port());
        json.writeEndObject();
    }

    private static void stats(JsonGenerator json, Stats stats) throws IOException {
        if (stats == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        Stats.Tcp tcp = stats.tcp();
        if (tcp == null) {
            json.writeNullField("tcp");
        } else {
            json.writeObjectFieldStart("tcp");
            json.writeNumberField("connections", tcp.connections());
            json.writeNumberField("resets", tcp.resets());
            json.writeNumberField("refused", tcp.refused());
            json.writeNumberField("midStreamResets", tcp.midStreamResets());
            json.writeNumberField("retransmissions", tcp.retransmissions());
            json.writeNumberField("fastRetransmissions", tcp.fastRetransmissions());
            json.writeNumberField("spuriousRetransmissions", tcp.spuriousRetransmissions());
            json.writeNumberField("duplicateAcks", tcp.duplicateAcks());
            json.writeNumberField("lostSegments", tcp.lostSegments());
            json.writeNumberField("zeroWindows", tcp.zeroWindows());
            json.writeNumberField("unansweredSyns", tcp.unansweredSyns());
            json.writeNumberField("notClosed", tcp.notClosed());
            millis(json, "medianHandshakeRttMillis", tcp.medianHandshakeRtt());
            json.writeEndObject();
        }
        Stats.Dns dns = stats.dns();
        if (dns == null) {
            json.writeNullField("dns");
        } else {
            json.writeObjectFieldStart("dns");
            json.writeNumberField("queries", dns.queries());
            json.writeNumberField("responses", dns.responses());
            json.writeNumberField("nxdomain", dns.nxdomain());
            json.writeNumberField("searchNxdomain", dns.searchNxdomain());
            json.writeNumberField("servfail", dns.servfail());
            json.writeNumberField("refused", dns.refused());
            json.writeNumberField("unanswered", dns.unanswered());
            millis(json, "medianLatencyMillis", dns.medianLatency());
            millis(json, "maxLatencyMillis", dns.maxLatency());
            json.writeEndObject();
        }
        Stats.Http http = stats.http();
        if (http == null) {
            json.writeNullField("http");
        } else {
            json.writeObjectFieldStart("http");
            json.writeNumberField("requests", http.requests());
            json.writeNumberField("responses", http.responses());
            counts(json, "status", http.status());
            json.writeNumberField("clientErrors", http.clientErrors());
            json.writeNumberField("serverErrors", http.serverErrors());
            millis(json, "medianLatencyMillis", http.medianLatency());
            millis(json, "maxLatencyMillis", http.maxLatency());
            json.writeEndObject();
        }
        Stats.Tls tls = stats.tls();
        if (tls == null) {
            json.writeNullField("tls");
        } else {
            json.writeObjectFieldStart("tls");
            json.writeNumberField("clientHellos", tls.clientHellos());
            counts(json, "serverNames", tls.serverNames());
            counts(json, "versions", tls.versions());
            json.writeNumberField("alerts", tls.alerts());
            counts(json, "alertDescriptions", tls.alertDescriptions());
            json.writeEndObject();
        }
        Stats.Icmp icmp = stats.icmp();
        if (icmp == null) {
            json.writeNullField("icmp");
        } else {
            json.writeObjectFieldStart("icmp");
            json.writeNumberField("unreachable", icmp.unreachable());
            json.writeNumberField("timeExceeded", icmp.timeExceeded());
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    /** A map of counts as an object; keys become strings ({@code "503": 2}) in the map's own order. */
    private static void counts(JsonGenerator json, String field, Map<?, Long> counts) throws IOException {
        json.writeObjectFieldStart(field);
        if (counts != null) {
            for (Map.Entry<?, Long> entry : counts.entrySet()) {
                json.writeNumberField(String.valueOf(entry.getKey()), entry.getValue() == null ? 0 : entry.getValue());
            }
        }
        json.writeEndObject();
    }

    private static void strings(JsonGenerator json, String field, List<String> values) throws IOException {
        json.writeArrayFieldStart(field);
        for (String value : nonNull(values)) {
            json.writeString(value);
        }
        json.writeEndArray();
    }

    /** ISO-8601 in UTC with the capture's own precision ({@code 2025-01-02T03:04:05.123456Z}). */
    private static void instant(JsonGenerator json, String field, Instant time) throws IOException {
        json.writeStringField(field, time == null ? null : time.toString());
    }

    /** Milliseconds as a decimal number, keeping microseconds: loopback round trips are well under 1 ms. */
    private static void millis(JsonGenerator json, String field, Duration duration) throws IOException {
        if (duration == null) {
            json.writeNullField(field);
        } else {
            json.writeNumberField(field, millis(duration));
        }
    }

    static BigDecimal millis(Duration duration) {
        BigDecimal value = BigDecimal.valueOf(duration.getSeconds()).movePointRight(3)
                .add(BigDecimal.valueOf(duration.getNano()).movePointLeft(6))
                .setScale(3, RoundingMode.HALF_UP).stripTrailingZeros();
        return value.scale() < 0 ? value.setScale(0) : value;
    }

    private static String name(Enum<?> value) {
        return value == null ? null : value.name();
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }
}
