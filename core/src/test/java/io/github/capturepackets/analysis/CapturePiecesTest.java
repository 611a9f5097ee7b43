package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.ACK;
import static io.github.capturepackets.analysis.PcapBuilder.FIN;
import static io.github.capturepackets.analysis.PcapBuilder.PSH;
import static io.github.capturepackets.analysis.PcapBuilder.RST;
import static io.github.capturepackets.analysis.PcapBuilder.SYN;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pod's capture cut into pieces (one per {@code analyzeSoFar()} of a test, or rotated files) is analyzed as the
 * one capture it was: captures given the same name are read as consecutive pieces.
 */
class CapturePiecesTest {
    static final String C = TcpAnalysisTest.C;
    static final String S = TcpAnalysisTest.S;
    static final String DNS = "10.0.0.53";

    @TempDir
    Path dir;

    /**
     * An HTTP exchange whose connection, and a DNS query, straddle packet {@link #CUT}; then a refused connection
     * (a finding whose frame number lies in the second piece).
     */
    static PcapBuilder straddling() {
        byte[] get = "GET / HTTP/1.1\r\nHost: s\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        long c = 1000;
        long s = 5000;
        int port = 40000;
        return new PcapBuilder()
                .tcp(C, port, S, 80, c, 0, SYN, 64240, 0)
                .after(100).tcp(S, 80, C, port, s, c + 1, SYN | ACK, 65160, 0)
                .after(100).tcp(C, port, S, 80, c + 1, s + 1, ACK, 502, 0)
                .after(100).tcp(C, port, S, 80, c + 1, s + 1, ACK | PSH, 502, get)
                .after(100).udp(C, 33333, DNS, 53, PcapBuilder.dns(7, false, 0, "api.example.com"))
                // ---- CUT: the second piece starts here
                .after(100).udp(DNS, 53, C, 33333, PcapBuilder.dns(7, true, 0, "api.example.com"))
                .after(100).tcp(S, 80, C, port, s + 1, c + 1 + get.length, ACK | PSH, 509, ok)
                .after(100).tcp(C, port, S, 80, c + 1 + get.length, s + 1 + ok.length, ACK | FIN, 502, 0)
                .after(100).tcp(S, 80, C, port, s + 1 + ok.length, c + 2 + get.length, ACK | FIN, 509, 0)
                .after(100).tcp(C, port, S, 80, c + 2 + get.length, s + 2 + ok.length, ACK, 502, 0)
                .after(100).tcp(C, port + 1, S, 81, 77, 0, SYN, 64240, 0)
                .after(50).tcp(S, 81, C, port + 1, 0, 78, RST | ACK, 0, 0);
    }

    static final int CUT = 5;

    @Test
    @DisplayName("pieces with one name give the report of the whole capture: one flow per connection, the DNS "
            + "answer matched, frame numbers running on")
    void piecesOfOneCaptureAnalyzeAsTheWhole() throws IOException {
        byte[] whole = straddling().bytes();
        Path all = Files.write(dir.resolve("all.pcap"), whole);
        List<Path> pieces = split(whole, CUT);

        AnalysisReport reference = Analyzer.analyze(List.of(all), List.of("ns/pod"), AnalysisOptions.defaults(),
                List.of());
        AnalysisReport joined = Analyzer.analyze(pieces, List.of("ns/pod", "ns/pod"), AnalysisOptions.defaults(),
                List.of());

        assertThat(joined.sources()).containsExactly("ns/pod");
        assertThat(joined.packets()).isEqualTo(reference.packets()).isEqualTo(12);
        assertThat(joined.flows()).isEqualTo(reference.flows());
        assertThat(joined.stats()).isEqualTo(reference.stats());
        assertThat(joined.verdicts()).isEqualTo(reference.verdicts());
        assertThat(joined.stats().tcp().connections()).isEqualTo(2);
        assertThat(joined.stats().dns().unanswered()).isZero();
        assertThat(joined.stats().http().status()).containsEntry(200, 1L);
        // The refusal is frames 11 and 12 of the whole capture, not of the second piece.
        assertThat(joined.verdicts()).filteredOn(f -> f.rule() == Rule.TCP_REFUSED).singleElement()
                .satisfies(f -> assertThat(f.firstFrame()).isEqualTo(12));
    }

    @Test
    @DisplayName("pieces with different names stay different captures: the cut connection is two flows, the "
            + "first never closed, and the query unanswered")
    void differentNamesStayApart() throws IOException {
        List<Path> pieces = split(straddling().bytes(), CUT);

        AnalysisReport apart = Analyzer.analyze(pieces, List.of("ns/a", "ns/b"), AnalysisOptions.defaults(),
                List.of());

        assertThat(apart.sources()).containsExactly("ns/a", "ns/b");
        assertThat(apart.stats().dns().unanswered()).isEqualTo(1);
        assertThat(apart.verdicts()).extracting(Finding::rule).contains(Rule.TCP_NOT_CLOSED);
        assertThat(apart.flows().stream().filter(f -> f.protocol().equals("TCP")).count()).isEqualTo(3);
    }

    @Test
    @DisplayName("the same file given twice by path stays two captures (no retransmissions out of a duplicate)")
    void sameFileTwiceByPath() throws IOException {
        Path all = Files.write(dir.resolve("all.pcap"), straddling().bytes());

        AnalysisReport twice = Analyzer.analyze(List.of(all, all), AnalysisOptions.defaults());

        assertThat(twice.sources()).hasSize(2).doesNotHaveDuplicates();
        assertThat(twice.stats().tcp().retransmissions()).isZero();
        assertThat(twice.packets()).isEqualTo(24);
    }

    /** Cuts a classic pcap file into two files at a packet index, each with the file header. */
    private List<Path> split(byte[] pcap, int firstPacketsCount) throws IOException {
        int at = 24;
        for (int i = 0; i < firstPacketsCount; i++) {
            int caplen = ByteBuffer.wrap(pcap, at + 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            at += 16 + caplen;
        }
        byte[] first = Arrays.copyOfRange(pcap, 0, at);
        byte[] second = new byte[24 + pcap.length - at];
        System.arraycopy(pcap, 0, second, 0, 24);
        System.arraycopy(pcap, at, second, 24, pcap.length - at);
        return List.of(Files.write(dir.resolve("piece-1.pcap"), first),
                Files.write(dir.resolve("piece-2.pcap"), second));
    }
}
