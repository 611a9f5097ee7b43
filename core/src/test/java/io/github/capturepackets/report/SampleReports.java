package io.github.capturepackets.report;

import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.CaptureProblem;
import io.github.capturepackets.analysis.Endpoint;
import io.github.capturepackets.analysis.Finding;
import io.github.capturepackets.analysis.FlowSummary;
import io.github.capturepackets.analysis.Marker;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.analysis.Severity;
import io.github.capturepackets.analysis.Stats;
import io.github.capturepackets.analysis.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reports built by hand to exercise the writers: every field set, names that need escaping, and sizes that need
 * bounding. The analyzer's real output is exercised by the CLI tests on real captures.
 */
final class SampleReports {
    static final Instant T0 = Instant.parse("2025-03-04T10:15:30.123456Z");
    static final String HOSTILE = "<script>alert('x')</script> | *bold* _u_ `tick` [l](http://e) & \"q\"";

    private SampleReports() {
    }

    static Finding finding(Rule rule, long count, long frame, long offsetMillis, String flow, String message) {
        return new Finding(rule, rule.defaultSeverity(), count, frame, T0.plusMillis(offsetMillis), flow, message);
    }

    static FlowSummary tcp(long id, String client, int clientPort, String server, int serverPort, String state,
            long packets, long bytes, long startMillis, long endMillis, Duration rtt, List<Finding> findings) {
        return new FlowSummary(id, "TCP", new Endpoint(client, clientPort), new Endpoint(server, serverPort),
                serverPort == 80 || serverPort == 8080 ? "HTTP" : null, packets, bytes, T0.plusMillis(startMillis),
                T0.plusMillis(endMillis), state, rtt, findings);
    }

    static Stats stats() {
        TreeMap<Integer, Long> status = new TreeMap<>(Map.of(200, 12L, 404, 1L, 503, 2L));
        return new Stats(
                new Stats.Tcp(14, 3, 1, 2, 7, 2, 1, 5, 1, 1, 1, 2, Duration.ofNanos(123_456)),
                new Stats.Dns(9, 8, 1, 3, 1, 0, 1, Duration.ofNanos(1_234_567), Duration.ofMillis(40)),
                new Stats.Http(15, 15, status, 1, 2, Duration.ofMillis(12), Duration.ofMillis(250)),
                new Stats.Tls(2, new TreeMap<>(Map.of("api.example.test", 2L)), new TreeMap<>(Map.of("TLS 1.3", 2L)),
                        1, new TreeMap<>(Map.of("unknown_ca", 1L))),
                new Stats.Icmp(1, 0));
    }

    /** A failing report of two captures, one of them damaged, with markers and findings on flows. */
    static AnalysisReport failing() {
        Finding refused = finding(Rule.TCP_REFUSED, 1, 7, 400, "10.0.0.1:40000 -> 10.0.0.2:9999",
                "Connection to 10.0.0.2:9999 refused");
        Finding server = finding(Rule.HTTP_SERVER_ERROR, 2, 31, 1200, "10.0.0.1:40002 -> 10.0.0.2:8080",
                "HTTP 503 Service Unavailable for GET /checkout?x=<b>1</b>");
        Finding retrans = finding(Rule.TCP_RETRANSMISSION, 7, 40, 1500, "10.0.0.1:40002 -> 10.0.0.2:8080",
                "7 retransmissions");
        Finding nx = finding(Rule.DNS_NXDOMAIN, 1, 3, 100, "10.0.0.1:53000 -> 10.96.0.10:53",
                "NXDOMAIN for " + HOSTILE);
        Finding incomplete = new Finding(Rule.CAPTURE_INCOMPLETE, Severity.WARN, 1, 120, T0.plusMillis(2900), null,
                "pod-b.pcap: truncated record at byte 4096");
        List<FlowSummary> flows = List.of(
                tcp(1, "10.0.0.1", 40000, "10.0.0.2", 9999, "REFUSED", 2, 120, 400, 401, null, List.of(refused)),
                tcp(2, "10.0.0.1", 40001, "10.0.0.2", 8080, "CLOSED", 12, 4_000, 500, 900, Duration.ofNanos(90_000),
                        List.of()),
                tcp(3, "10.0.0.1", 40002, "10.0.0.2", 8080, "RESET", 80, 250_000, 1000, 2500,
                        Duration.ofNanos(150_000), List.of(server, retrans)),
                new FlowSummary(4, "UDP", new Endpoint("10.0.0.1", 53000), new Endpoint("10.96.0.10", 53), "DNS", 2,
                        180, T0.plusMillis(100), T0.plusMillis(101), null, null, List.of(nx)),
                new FlowSummary(5, "TCP", new Endpoint("fd00::1", 41000), new Endpoint("fd00::2", 443), "TLS", 9,
                        3_000, T0.plusMillis(2000), T0.plusMillis(2990), "OPEN", Duration.ofMillis(2), List.of()));
        return new AnalysisReport(List.of("pod-a.pcap", "default/pod-b " + HOSTILE), 1234, 2_345_678,
                List.of("LINUX_SLL2", "EN10MB"), false,
                List.of(new CaptureProblem("pod-b.pcap", 4096, "Truncated record: 20 of 60 bytes. " + HOSTILE)),
                T0, T0.plusMillis(3000), 5, flows, stats(), List.of(refused, server, nx, incomplete, retrans),
                Verdict.FAIL, List.of(new Marker(T0.plusMillis(300), "checkout submitted"),
                        new Marker(T0.plusMillis(2800), "assert " + HOSTILE)));
    }

    /**
     * A capture that dropped packets (as the analyzer reports it: capture.dropped, a problem, the lost-segment
     * note) and was otherwise read whole.
     */
    static AnalysisReport dropped() {
        String note = "; the capture dropped 2175 packets in this window (capture.dropped), so these gaps are likely "
                + "the capture's own losses, not the network's";
        Finding lost = finding(Rule.TCP_LOST_SEGMENT, 3, 40, 900, "10.0.0.1:8080 -> 10.0.0.2:40000",
                Rule.TCP_LOST_SEGMENT.description() + note);
        Finding dropped = finding(Rule.CAPTURE_DROPPED, 2175, 0, 0, null,
                Rule.CAPTURE_DROPPED.description() + ": shop/web-0 dropped 2175 packets");
        return new AnalysisReport(List.of("shop/web-0"), 487, 17_100_000, List.of("LINUX_SLL2"), false,
                List.of(new CaptureProblem("shop/web-0", -1, "shop/web-0: tcpdump dropped 2175 packets (\"dropped by "
                        + "kernel\") in this capture's window.")),
                T0, T0.plusMillis(1500), 1,
                List.of(tcp(1, "10.0.0.2", 40000, "10.0.0.1", 8080, "OPEN", 487, 17_100_000, 0, 1500,
                        Duration.ofNanos(60_000), List.of(lost))),
                stats(), List.of(lost, dropped), Verdict.WARN, List.of());
    }

    /** A clean report: one closed connection, nothing found. */
    static AnalysisReport passing() {
        return new AnalysisReport(List.of("clean.pcap"), 12, 2_000, List.of("EN10MB"), true, List.of(), T0,
                T0.plusMillis(50), 1,
                List.of(tcp(1, "127.0.0.1", 50000, "127.0.0.1", 8080, "CLOSED", 12, 2_000, 0, 50,
                        Duration.ofNanos(40_000), List.of())),
                stats(), List.of(), Verdict.PASS, List.of());
    }

    /** Nothing at all: an empty capture, every optional value absent. */
    static AnalysisReport empty() {
        return new AnalysisReport(List.of("empty.pcap"), 0, 0, List.of(), true, List.of(), null, null, 0, List.of(),
                new Stats(new Stats.Tcp(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null),
                        new Stats.Dns(0, 0, 0, 0, 0, 0, 0, null, null),
                        new Stats.Http(0, 0, new TreeMap<>(), 0, 0, null, null),
                        new Stats.Tls(0, new TreeMap<>(), new TreeMap<>(), 0, new TreeMap<>()),
                        new Stats.Icmp(0, 0)),
                List.of(), Verdict.PASS, List.of());
    }

    /**
     * Many flows with deterministic but scrambled packet counts, so sorting by a column changes the row order in
     * a way the test can predict.
     */
    static AnalysisReport manyFlows(int count) {
        List<FlowSummary> flows = new ArrayList<>();
        List<Finding> verdicts = new ArrayList<>();
        String[] states = {"CLOSED", "OPEN", "RESET", "REFUSED", "UNANSWERED"};
        for (int i = 1; i <= count; i++) {
            long packets = (i * 7919L) % 1000 + 1;
            String state = states[i % states.length];
            List<Finding> findings = new ArrayList<>();
            String flowText = "10.1.0." + (i % 250) + ":" + (30000 + i) + " -> 10.2.0.1:8080";
            if ("REFUSED".equals(state)) {
                findings.add(finding(Rule.TCP_REFUSED, 1, i * 10L, i * 37L, flowText, "refused"));
            } else if ("RESET".equals(state)) {
                findings.add(finding(Rule.TCP_RESET, 1, i * 10L + 5, i * 37L + 20, flowText, "reset"));
            }
            flows.add(tcp(i, "10.1.0." + (i % 250), 30000 + i, "10.2.0.1", 8080, state, packets, packets * 900,
                    i * 37L, i * 37L + (i % 13) * 90, Duration.ofNanos(50_000 + i * 100L), findings));
        }
        verdicts.add(finding(Rule.TCP_REFUSED, count / 5, 30, 111, "10.1.0.3:30003 -> 10.2.0.1:8080", "refused"));
        verdicts.add(finding(Rule.TCP_RESET, count / 5, 25, 94, "10.1.0.2:30002 -> 10.2.0.1:8080", "reset"));
        Instant end = T0.plusMillis(count * 37L + 13 * 90);
        return new AnalysisReport(List.of("many.pcap"), count * 500L, count * 450_000L, List.of("LINUX_SLL2"), true,
                List.of(), T0, end, count * 3L, flows, stats(), verdicts, Verdict.WARN,
                List.of(new Marker(T0.plusMillis(count * 10L), "phase 2"), new Marker(T0.plusMillis(count * 30L),
                        "phase 3")));
    }
}
