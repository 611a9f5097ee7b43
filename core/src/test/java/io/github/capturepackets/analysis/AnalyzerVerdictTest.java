package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.ACK;
import static io.github.capturepackets.analysis.PcapBuilder.FIN;
import static io.github.capturepackets.analysis.PcapBuilder.PSH;
import static io.github.capturepackets.analysis.PcapBuilder.RST;
import static io.github.capturepackets.analysis.PcapBuilder.SYN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overall verdict, thresholds, selected rules, and what happens with damaged input. */
class AnalyzerVerdictTest {
    static final String C = TcpAnalysisTest.C;
    static final String S = TcpAnalysisTest.S;

    @TempDir
    Path dir;

    /** A clean HTTP exchange: handshake, GET, 200 with a body, close. */
    static PcapBuilder cleanExchange(PcapBuilder b, int clientPort) {
        byte[] get = "GET / HTTP/1.1\r\nHost: s\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        long c = 1000;
        long s = 5000;
        b.tcp(C, clientPort, S, 80, c, 0, SYN, 64240, 0)
                .after(100).tcp(S, 80, C, clientPort, s, c + 1, SYN | ACK, 65160, 0)
                .after(100).tcp(C, clientPort, S, 80, c + 1, s + 1, ACK, 502, 0)
                .after(100).tcp(C, clientPort, S, 80, c + 1, s + 1, ACK | PSH, 502, get)
                .after(100).tcp(S, 80, C, clientPort, s + 1, c + 1 + get.length, ACK | PSH, 509, ok)
                .after(100).tcp(C, clientPort, S, 80, c + 1 + get.length, s + 1 + ok.length, ACK | FIN, 502, 0)
                .after(100).tcp(S, 80, C, clientPort, s + 1 + ok.length, c + 2 + get.length, ACK | FIN, 509, 0)
                .after(100).tcp(C, clientPort, S, 80, c + 2 + get.length, s + 2 + ok.length, ACK, 502, 0);
        return b;
    }

    static PcapBuilder refusal(PcapBuilder b, int clientPort) {
        return b.tcp(C, clientPort, S, 81, 77, 0, SYN, 64240, 0)
                .after(50).tcp(S, 81, C, clientPort, 0, 78, RST | ACK, 0, 0);
    }

    private Path write(PcapBuilder b, String name) throws IOException {
        return b.write(dir.resolve(name));
    }

    @Test
    @DisplayName("A clean capture passes, with its HTTP exchange counted and the connection closed")
    void cleanPasses() throws IOException {
        AnalysisReport r = Analyzer.analyze(List.of(write(cleanExchange(new PcapBuilder(), 40000), "c.pcap")),
                AnalysisOptions.defaults());
        assertThat(r.verdict()).isEqualTo(Verdict.PASS);
        assertThat(r.verdicts()).isEmpty();
        assertThat(r.stats().http().requests()).isEqualTo(1);
        assertThat(r.stats().http().status()).containsEntry(200, 1L);
        assertThat(r.flows()).singleElement().satisfies(f -> {
            assertThat(f.state()).isEqualTo("CLOSED");
            assertThat(f.application()).isEqualTo("HTTP");
            assertThat(f.packets()).isEqualTo(8);
        });
        assertThat(r.complete()).isTrue();
        assertThat(r.linkTypes()).containsExactly("RAW");
    }

    @Test
    @DisplayName("Warnings or errors give WARN unless their rule is selected to fail on")
    void warnWithoutSelectedRule() throws IOException {
        Path file = write(refusal(cleanExchange(new PcapBuilder(), 40000), 40001), "r.pcap");
        assertThat(Analyzer.analyze(List.of(file), AnalysisOptions.defaults()).verdict()).isEqualTo(Verdict.WARN);
        AnalysisReport failing = Analyzer.analyze(List.of(file),
                AnalysisOptions.defaults().withFailOn(Set.of(Rule.TCP_REFUSED)));
        assertThat(failing.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(failing.verdicts().get(0).rule()).isEqualTo(Rule.TCP_REFUSED);
        assertThat(failing.verdicts().get(0).message()).contains("fails");
    }

    @Test
    @DisplayName("A selected rule fails only when its count is above its threshold")
    void thresholds() throws IOException {
        PcapBuilder b = cleanExchange(new PcapBuilder(), 40000);
        refusal(b, 40001);
        refusal(b, 40002);
        Path file = write(b, "t.pcap");
        AnalysisOptions options = AnalysisOptions.defaults().withFailOn(Set.of(Rule.TCP_REFUSED));
        assertThat(Analyzer.analyze(List.of(file), options.withThreshold(Rule.TCP_REFUSED, 2)).verdict())
                .isEqualTo(Verdict.WARN);
        assertThat(Analyzer.analyze(List.of(file), options.withThreshold(Rule.TCP_REFUSED, 1)).verdict())
                .isEqualTo(Verdict.FAIL);
    }

    @Test
    @DisplayName("Notes alone (a retransmission) pass; a retransmission rate above the maximum fails")
    void retransmissionRate() throws IOException {
        PcapBuilder b = cleanExchange(new PcapBuilder(), 40000);
        // One data segment sent twice, 300 ms apart: 1 retransmission out of 2 data segments on this flow.
        b.after(1000).tcp(C, 40003, S, 80, 10, 0, SYN, 64240, 0)
                .after(100).tcp(S, 80, C, 40003, 20, 11, SYN | ACK, 65160, 0)
                .after(100).tcp(C, 40003, S, 80, 11, 21, ACK, 502, 0)
                .after(100).tcp(C, 40003, S, 80, 11, 21, ACK | PSH, 502, 10)
                .after(300_000).tcp(C, 40003, S, 80, 11, 21, ACK | PSH, 502, 10);
        Path file = write(b, "rt.pcap");
        AnalysisReport notes = Analyzer.analyze(List.of(file), AnalysisOptions.defaults());
        assertThat(notes.stats().tcp().retransmissions()).isEqualTo(1);
        assertThat(notes.verdicts()).extracting(Finding::rule).contains(Rule.TCP_RETRANSMISSION);
        // The still-open second connection is CHAT: neither is worse than a note.
        assertThat(notes.verdict()).isEqualTo(Verdict.PASS);
        // 1 of 4 data segments (GET, 200, original, retransmission).
        assertThat(Analyzer.analyze(List.of(file), AnalysisOptions.defaults().withMaxRetransmissionRate(0.30))
                .verdict()).isEqualTo(Verdict.PASS);
        AnalysisReport failed = Analyzer.analyze(List.of(file),
                AnalysisOptions.defaults().withMaxRetransmissionRate(0.20));
        assertThat(failed.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(failed.verdicts().get(0).rule()).isEqualTo(Rule.TCP_RETRANSMISSION);
        assertThat(failed.verdicts().get(0).severity()).isEqualTo(Severity.ERROR);
        assertThat(failed.verdicts().get(0).message()).contains("25.00 % of 4 data segments");
    }

    @Test
    @DisplayName("A truncated capture is analyzed up to the damage and reported incomplete")
    void truncatedCapture() throws IOException {
        PcapBuilder b = refusal(cleanExchange(new PcapBuilder(), 40000), 40001);
        byte[] bytes = b.bytes();
        Path file = dir.resolve("cut.pcap");
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 7));
        AnalysisReport r = Analyzer.analyze(List.of(file), AnalysisOptions.defaults());
        assertThat(r.complete()).isFalse();
        assertThat(r.packets()).isEqualTo(b.packets() - 1);
        assertThat(r.stats().http().requests()).isEqualTo(1);
        assertThat(r.stats().tcp().unansweredSyns()).isEqualTo(1);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.source()).isEqualTo(file.toString());
            assertThat(p.offset()).isPositive();
        });
        assertThat(r.verdicts()).extracting(Finding::rule).contains(Rule.CAPTURE_INCOMPLETE);
        assertThat(r.verdict()).isEqualTo(Verdict.WARN);
    }

    @Test
    @DisplayName("A file that is not a capture fails the verdict with a problem naming it; other captures still count")
    void notACapture() throws IOException {
        Path junk = dir.resolve("junk.pcap");
        Files.writeString(junk, "this is not a capture at all, just text");
        Path good = write(cleanExchange(new PcapBuilder(), 40000), "good.pcap");
        AnalysisReport r = Analyzer.analyze(List.of(junk, good), List.of("ns/junk", "ns/good"),
                AnalysisOptions.defaults(), List.of());
        assertThat(r.complete()).isFalse();
        assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.source()).isEqualTo("ns/junk"));
        assertThat(r.packets()).isEqualTo(8);
        Finding incomplete = r.verdicts().get(0);
        assertThat(incomplete.rule()).isEqualTo(Rule.CAPTURE_INCOMPLETE);
        assertThat(incomplete.severity()).isEqualTo(Severity.ERROR);
    }

    @Test
    @DisplayName("A missing file is a problem with the path in the message, not an exception")
    void missingFile() {
        Path missing = dir.resolve("nope.pcap");
        AnalysisReport r = Analyzer.analyze(List.of(missing), AnalysisOptions.defaults());
        assertThat(r.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("does not exist").contains("nope.pcap"));
    }

    @Test
    @DisplayName("Misuse (no capture, names not matching captures) is refused with a sentence saying what to do")
    void misuse() {
        assertThatThrownBy(() -> Analyzer.analyze(List.of(), AnalysisOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> Analyzer.analyze(List.of(dir.resolve("a")), List.of("a", "b"),
                AnalysisOptions.defaults(), List.of())).hasMessageContaining("one display name per capture");
    }
}
