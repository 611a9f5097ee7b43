package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.dns;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DNS: answers matched to queries, failures by code, unanswered queries and search-domain expansion noise. */
class DnsAnalysisTest {
    static final String POD = "10.1.0.5";
    static final String RESOLVER = "10.96.0.10";

    @TempDir
    Path dir;

    private int port = 50000;
    private int id = 1;

    /** One query and, unless rcode is negative, its response after the given delay. */
    private PcapBuilder exchange(PcapBuilder b, String name, int rcode, long delayMicros) {
        int p = port++;
        int i = id++;
        b.udp(POD, p, RESOLVER, 53, dns(i, false, 0, name));
        if (rcode >= 0) {
            b.after(delayMicros).udp(RESOLVER, 53, POD, p, dns(i, true, rcode, name));
        }
        return b.after(1000);
    }

    private AnalysisReport analyze(PcapBuilder b, AnalysisOptions options) throws IOException {
        return Analyzer.analyze(List.of(b.write(dir.resolve("dns" + id + ".pcap"))), options);
    }

    private static Finding finding(AnalysisReport r, Rule rule) {
        return r.verdicts().stream().filter(f -> f.rule() == rule).findFirst().orElse(null);
    }

    @Test
    @DisplayName("NXDOMAINs of search-domain expansions are noise when the name then resolves")
    void searchDomainExpansion() throws IOException {
        PcapBuilder b = new PcapBuilder();
        // ndots:5: "api.example.com" has 2 dots, so the resolver tries the search list first.
        exchange(b, "api.example.com.shop.svc.cluster.local", 3, 200);
        exchange(b, "api.example.com.svc.cluster.local", 3, 200);
        exchange(b, "api.example.com.cluster.local", 3, 200);
        exchange(b, "api.example.com", 0, 200);
        // A short service name resolving at its second try.
        exchange(b, "cart.shop.svc.cluster.local", 3, 200);
        exchange(b, "cart.svc.cluster.local", 0, 200);
        AnalysisReport r = analyze(b, AnalysisOptions.defaults());
        assertThat(r.stats().dns().nxdomain()).isEqualTo(4);
        assertThat(r.stats().dns().searchNxdomain()).isEqualTo(4);
        assertThat(finding(r, Rule.DNS_NXDOMAIN)).isNull();
        Finding noise = finding(r, Rule.DNS_SEARCH_NXDOMAIN);
        assertThat(noise.count()).isEqualTo(4);
        assertThat(noise.severity()).isEqualTo(Severity.CHAT);
        assertThat(noise.firstFrame()).isEqualTo(2);
        assertThat(r.verdict()).isEqualTo(Verdict.PASS);
    }

    @Test
    @DisplayName("An NXDOMAIN whose name never resolves (or resolved only before) is a real failure")
    void realNxdomain() throws IOException {
        PcapBuilder b = new PcapBuilder();
        exchange(b, "payments.svc.cluster.local", 0, 200);
        exchange(b, "payments.shop.svc.cluster.local", 3, 200); // after the success: not noise
        exchange(b, "typo-service.shop.svc.cluster.local", 3, 200);
        exchange(b, "api.other.com", 0, 200); // shares no leading label
        AnalysisReport r = analyze(b, AnalysisOptions.defaults());
        Finding nx = finding(r, Rule.DNS_NXDOMAIN);
        assertThat(nx.count()).isEqualTo(2);
        assertThat(nx.message()).contains("typo-service.shop.svc.cluster.local");
        assertThat(nx.flow()).isEqualTo("10.1.0.5:50001 -> 10.96.0.10:53");
        assertThat(r.stats().dns().searchNxdomain()).isZero();
        assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    }

    @Test
    @DisplayName("SERVFAIL and REFUSED are errors; the latency of answered queries is measured")
    void failuresAndLatency() throws IOException {
        PcapBuilder b = new PcapBuilder();
        exchange(b, "a.example", 2, 100_000);
        exchange(b, "b.example", 5, 300_000);
        exchange(b, "c.example", 0, 200_000);
        AnalysisReport r = analyze(b, AnalysisOptions.defaults());
        assertThat(r.stats().dns().servfail()).isEqualTo(1);
        assertThat(r.stats().dns().refused()).isEqualTo(1);
        assertThat(r.stats().dns().queries()).isEqualTo(3);
        assertThat(r.stats().dns().responses()).isEqualTo(3);
        // The builder puts 10 us between consecutive records.
        assertThat(r.stats().dns().medianLatency()).isEqualTo(Duration.ofNanos(200_010_000));
        assertThat(r.stats().dns().maxLatency()).isEqualTo(Duration.ofNanos(300_010_000));
        assertThat(finding(r, Rule.DNS_SERVFAIL).severity()).isEqualTo(Severity.ERROR);
        assertThat(finding(r, Rule.DNS_REFUSED).message()).contains("b.example");
    }

    @Test
    @DisplayName("A query without a response within the timeout, or by the end of the capture, is unanswered")
    void unanswered() throws IOException {
        PcapBuilder b = new PcapBuilder();
        exchange(b, "late.example", 0, 3_000_000); // answered after 3 s: unanswered with a 2 s timeout
        exchange(b, "never.example", -1, 0); // never answered
        AnalysisReport strict = analyze(b, AnalysisOptions.defaults().withDnsTimeout(Duration.ofSeconds(2)));
        assertThat(strict.stats().dns().unanswered()).isEqualTo(2);
        AnalysisReport lenient = analyze(b, AnalysisOptions.defaults());
        assertThat(lenient.stats().dns().unanswered()).isEqualTo(1);
        Finding f = finding(lenient, Rule.DNS_UNANSWERED);
        assertThat(f.firstFrame()).isEqualTo(3);
        assertThat(f.message()).contains("never.example");
        assertThat(lenient.flows()).anySatisfy(flow -> assertThat(flow.findings()).extracting(Finding::rule)
                .containsExactly(Rule.DNS_UNANSWERED));
    }
}
