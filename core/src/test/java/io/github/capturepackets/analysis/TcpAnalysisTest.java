package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.ACK;
import static io.github.capturepackets.analysis.PcapBuilder.FIN;
import static io.github.capturepackets.analysis.PcapBuilder.PSH;
import static io.github.capturepackets.analysis.PcapBuilder.RST;
import static io.github.capturepackets.analysis.PcapBuilder.SYN;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.analysis.FrameObserver.Counter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TCP analysis on hand-built segments, following Wireshark 4.0's tcp_analyze_sequence_number rules. */
class TcpAnalysisTest {
    static final String C = "10.0.0.1";
    static final String S = "10.0.0.2";
    static final long CS = 1000;
    static final long SS = 5000;

    @TempDir
    Path dir;

    private final List<String> counted = new ArrayList<>();

    /** Client connects to port 80; afterwards client seq is CS+1 and server seq SS+1. */
    static PcapBuilder handshake(PcapBuilder b) {
        return b.tcp(C, 40000, S, 80, CS, 0, SYN, 64240, 0)
                .after(1000).tcp(S, 80, C, 40000, SS, CS + 1, SYN | ACK, 65160, 0)
                .after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK, 502, 0);
    }

    private AnalysisReport analyze(PcapBuilder b) throws IOException {
        Path file = b.write(dir.resolve("t" + counted.size() + System.nanoTime() + ".pcap"));
        return Analyzer.analyze(List.of(file), List.of("t"), AnalysisOptions.defaults(), List.of(),
                (counter, source, frame, value) -> counted.add(counter + "@" + frame));
    }

    @Test
    @DisplayName("A pure ACK repeating seq, ack and window is a duplicate ACK; the first one is not")
    void duplicateAcks() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 1, ACK | PSH, 509, 100); // frame 4
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 502, 0); // 5 normal ACK
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 502, 0); // 6 dup 1
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 502, 0); // 7 dup 2
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 600, 0); // 8 window update, not dup
        AnalysisReport r = analyze(b);
        assertThat(r.stats().tcp().duplicateAcks()).isEqualTo(2);
        assertThat(counted).containsExactly("DUPLICATE_ACK@6", "DUPLICATE_ACK@7");
    }

    @Test
    @DisplayName("Data resent long after the highest sequence is a retransmission, soon after it is out-of-order")
    void retransmissionAndOutOfOrder() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100); // 4
        b.after(1000).tcp(C, 40000, S, 80, CS + 101, SS + 1, ACK | PSH, 502, 100); // 5
        b.after(300_000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100); // 6 retransmission
        b.after(1000).tcp(C, 40000, S, 80, CS + 301, SS + 1, ACK | PSH, 502, 100); // 7 gap: previous not captured
        b.after(1).tcp(C, 40000, S, 80, CS + 201, SS + 1, ACK | PSH, 502, 100); // 8 out-of-order (within RTT)
        AnalysisReport r = analyze(b);
        assertThat(counted).containsExactly("RETRANSMISSION@6", "LOST_SEGMENT@7");
        assertThat(r.stats().tcp().retransmissions()).isEqualTo(1);
        assertThat(r.stats().tcp().lostSegments()).isEqualTo(1);
    }

    @Test
    @DisplayName("A resend right after two duplicate ACKs is a fast retransmission, also counted as a retransmission")
    void fastRetransmission() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 1, ACK, 509, 100); // 4
        b.after(10).tcp(S, 80, C, 40000, SS + 101, CS + 1, ACK, 509, 100); // 5
        b.after(10).tcp(S, 80, C, 40000, SS + 201, CS + 1, ACK, 509, 100); // 6
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 502, 0); // 7
        b.after(100).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 502, 0); // 8 dup
        b.after(100).tcp(C, 40000, S, 80, CS + 1, SS + 101, ACK, 502, 0); // 9 dup
        b.after(5000).tcp(S, 80, C, 40000, SS + 101, CS + 1, ACK, 509, 100); // 10 fast retransmission
        AnalysisReport r = analyze(b);
        assertThat(r.stats().tcp().fastRetransmissions()).isEqualTo(1);
        assertThat(r.stats().tcp().retransmissions()).isEqualTo(1);
        assertThat(counted).contains("RETRANSMISSION@10");
    }

    @Test
    @DisplayName("Data already acknowledged by the receiver is a spurious retransmission")
    void spuriousRetransmission() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100); // 4
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 101, ACK, 509, 0); // 5 acks it
        b.after(300_000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100); // 6 spurious
        AnalysisReport r = analyze(b);
        assertThat(r.stats().tcp().spuriousRetransmissions()).isEqualTo(1);
        assertThat(counted).containsExactly("RETRANSMISSION@6", "SPURIOUS_RETRANSMISSION@6");
    }

    @Test
    @DisplayName("A keep-alive (zero or one byte just before the next sequence number) is not a retransmission")
    void keepAlive() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100); // 4
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 101, ACK, 509, 0); // 5
        b.after(60_000_000).tcp(C, 40000, S, 80, CS + 100, SS + 1, ACK, 502, 1); // 6 keep-alive
        b.after(100).tcp(S, 80, C, 40000, SS + 1, CS + 101, ACK, 509, 0); // 7 keep-alive ACK, not a dup ACK
        AnalysisReport r = analyze(b);
        assertThat(counted).isEmpty();
        assertThat(r.stats().tcp().retransmissions()).isZero();
    }

    @Test
    @DisplayName("A zero window is counted on segments without SYN, FIN or RST")
    void zeroWindow() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100); // 4
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 101, ACK, 0, 0); // 5 zero window
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 101, ACK | FIN, 0, 0); // 6 FIN: not counted
        AnalysisReport r = analyze(b);
        assertThat(counted).containsExactly("ZERO_WINDOW@5");
        assertThat(r.verdicts()).extracting(Finding::rule).contains(Rule.TCP_ZERO_WINDOW);
    }

    @Test
    @DisplayName("A RST answering a SYN is a refused connection; a RST on an established one is a mid-stream reset")
    void resets() throws IOException {
        PcapBuilder b = new PcapBuilder();
        b.tcp(C, 40001, S, 81, CS, 0, SYN, 64240, 0);
        b.after(100).tcp(S, 81, C, 40001, 0, CS + 1, RST | ACK, 0, 0); // 2 refused
        handshake(b.after(1000));
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 1, RST | ACK, 0, 0); // 6 mid-stream
        AnalysisReport r = analyze(b);
        assertThat(r.stats().tcp().resets()).isEqualTo(2);
        assertThat(r.stats().tcp().refused()).isEqualTo(1);
        assertThat(r.stats().tcp().midStreamResets()).isEqualTo(1);
        assertThat(counted).containsExactly("RESET@2", "RESET@6");
        Finding refused = r.verdicts().stream().filter(f -> f.rule() == Rule.TCP_REFUSED).findFirst().orElseThrow();
        assertThat(refused.firstFrame()).isEqualTo(2);
        assertThat(refused.flow()).isEqualTo("10.0.0.1:40001 -> 10.0.0.2:81");
        assertThat(r.flows()).extracting(FlowSummary::state).containsExactlyInAnyOrder("REFUSED", "RESET");
    }

    @Test
    @DisplayName("SYNs nobody answers count once per connection, also when the SYN is retransmitted")
    void unansweredSyn() throws IOException {
        PcapBuilder b = new PcapBuilder();
        b.tcp(C, 40002, S, 8081, CS, 0, SYN, 64240, 0);
        b.after(1_000_000).tcp(C, 40002, S, 8081, CS, 0, SYN, 64240, 0);
        b.after(2_000_000).tcp(C, 40002, S, 8081, CS, 0, SYN, 64240, 0);
        AnalysisReport r = analyze(b);
        assertThat(r.stats().tcp().unansweredSyns()).isEqualTo(1);
        Finding f = r.verdicts().stream().filter(v -> v.rule() == Rule.TCP_UNANSWERED_SYN).findFirst().orElseThrow();
        assertThat(f.count()).isEqualTo(1);
        assertThat(f.firstFrame()).isEqualTo(1);
        assertThat(r.verdict()).isEqualTo(Verdict.WARN);
        // Wireshark marks the resent SYNs as retransmissions.
        assertThat(counted).containsExactly("RETRANSMISSION@2", "RETRANSMISSION@3");
    }

    @Test
    @DisplayName("A SYN with a new initial sequence number on used ports starts a new connection")
    void portReuse() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | FIN, 502, 0);
        b.after(1000).tcp(S, 80, C, 40000, SS + 1, CS + 2, ACK | FIN, 509, 0);
        b.after(1000).tcp(C, 40000, S, 80, CS + 2, SS + 2, ACK, 502, 0);
        b.after(1_000_000).tcp(C, 40000, S, 80, 900_000, 0, SYN, 64240, 0);
        b.after(1000).tcp(S, 80, C, 40000, 700_000, 900_001, SYN | ACK, 65160, 0);
        AnalysisReport r = analyze(b);
        assertThat(counted).isEmpty();
        assertThat(r.flowCount()).isEqualTo(2);
        assertThat(r.stats().tcp().connections()).isEqualTo(2);
    }

    @Test
    @DisplayName("The same packets in two captures are two flows, not retransmissions of each other")
    void capturesKeptApart() throws IOException {
        PcapBuilder b = handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100);
        Path one = b.write(dir.resolve("pod-a.pcap"));
        Path two = b.write(dir.resolve("pod-b.pcap"));
        AnalysisReport r = Analyzer.analyze(List.of(one, two), List.of("ns/a", "ns/b"), AnalysisOptions.defaults(),
                List.of());
        assertThat(r.stats().tcp().retransmissions()).isZero();
        assertThat(r.flowCount()).isEqualTo(2);
        assertThat(r.sources()).containsExactly("ns/a", "ns/b");
        assertThat(r.packets()).isEqualTo(8);
    }

    @Test
    @DisplayName("The handshake RTT is the time from the SYN to the SYN/ACK")
    void handshakeRtt() throws IOException {
        AnalysisReport r = analyze(handshake(new PcapBuilder()));
        assertThat(r.stats().tcp().medianHandshakeRtt()).isEqualTo(java.time.Duration.ofNanos(1_010_000));
        assertThat(r.flows().get(0).handshakeRtt()).isEqualTo(java.time.Duration.ofNanos(1_010_000));
        assertThat(r.flows().get(0).client().toString()).isEqualTo("10.0.0.1:40000");
    }
}
