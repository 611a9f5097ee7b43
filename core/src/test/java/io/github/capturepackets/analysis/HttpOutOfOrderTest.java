package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.ACK;
import static io.github.capturepackets.analysis.PcapBuilder.PSH;
import static io.github.capturepackets.analysis.PcapBuilder.SYN;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Tshark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A body segment that arrives after the one behind it (reordered on the way, or the capture's own order) inside an
 * HTTP body of known length: Wireshark's reassembly (out of order, {@link Tshark#REASSEMBLE_OUT_OF_ORDER}) places it
 * and reports the response where the hole is filled.
 * Seen in a CI run on the ipv6 scenario's Ethernet view (a 300 kB response counted by tshark, not by us).
 */
class HttpOutOfOrderTest {
    static final String C = TcpAnalysisTest.C;
    static final String S = TcpAnalysisTest.S;

    @TempDir
    Path dir;

    /**
     * A kept-alive exchange: a response with a body of {@code segments} x 1000 bytes sent in the given order of
     * segment indexes, then a 404 on the same connection. Returns the capture and, per packet, its frame number.
     */
    private record Exchange(Path capture, long[] bodyFrames, long notFoundFrame) {
    }

    private Exchange exchange(String name, int[] order) throws IOException {
        return exchange(name, order, 0);
    }

    /** As above, with the response's status line and headers sent after the first {@code headAfter} body segments. */
    private Exchange exchange(String name, int[] order, int headAfter) throws IOException {
        byte[] get = ascii("GET /big HTTP/1.1\r\nHost: s\r\n\r\n");
        byte[] head = ascii("HTTP/1.1 200 OK\r\nContent-Length: " + order.length * 1000 + "\r\n\r\n");
        byte[] get2 = ascii("GET /missing HTTP/1.1\r\nHost: s\r\n\r\n");
        byte[] notFound = ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        byte[] chunk = new byte[1000];
        java.util.Arrays.fill(chunk, (byte) 'x');
        long c = 1000;
        long s = 5000;
        int port = 41000;
        long body = s + 1 + head.length;
        long clientNext = c + 1 + get.length;
        PcapBuilder b = new PcapBuilder()
                .tcp(C, port, S, 80, c, 0, SYN, 64240, 0)
                .after(100).tcp(S, 80, C, port, s, c + 1, SYN | ACK, 65160, 0)
                .after(100).tcp(C, port, S, 80, c + 1, s + 1, ACK, 502, 0)
                .after(100).tcp(C, port, S, 80, c + 1, s + 1, ACK | PSH, 502, get);
        long[] frames = new long[order.length];
        for (int i = 0; i < order.length; i++) {
            if (i == headAfter) {
                b.after(100).tcp(S, 80, C, port, s + 1, clientNext, ACK | PSH, 509, head);
            }
            int k = order[i];
            b.after(100).tcp(S, 80, C, port, body + 1000L * k, clientNext, ACK, 509, chunk);
            frames[k] = b.packets();
        }
        long end = body + 1000L * order.length;
        b.after(100).tcp(C, port, S, 80, clientNext, end, ACK, 502, 0)
                .after(100).tcp(C, port, S, 80, clientNext, end, ACK | PSH, 502, get2)
                .after(100).tcp(S, 80, C, port, end, clientNext + get2.length, ACK | PSH, 509, notFound);
        return new Exchange(b.write(dir.resolve(name + ".pcap")), frames, b.packets());
    }

    /** tshark's HTTP response frames, reassembling out of order as TsharkAgreementTest's oracle does. */
    private static Set<Long> tsharkResponses(Path capture) {
        Set<Long> frames = new TreeSet<>();
        for (List<String> row : Tshark.fields(capture, "http.response", List.of("frame.number"),
                List.of(Tshark.REASSEMBLE_OUT_OF_ORDER))) {
            frames.add(Long.parseLong(row.get(0)));
        }
        return frames;
    }

    private static Set<Long> ourResponses(Path capture) {
        Set<Long> ours = new TreeSet<>();
        Analyzer.analyze(List.of(capture), List.of("ooo"), AnalysisOptions.defaults(), List.of(),
                (counter, source, frame, value) -> {
                    if (counter == FrameObserver.Counter.HTTP_RESPONSE) {
                        ours.add(frame);
                    }
                });
        return ours;
    }

    @Test
    @DisplayName("a body segment overtaken by the next one fills its hole later: the response counts where the "
            + "body ends, as in tshark, and the next exchange still counts")
    void holeFilledBeforeTheEnd() throws IOException {
        Exchange e = exchange("filled-before-end", new int[] {0, 2, 1, 3});

        Set<Long> ours = ourResponses(e.capture());

        assertThat(ours).containsExactly(e.bodyFrames()[3], e.notFoundFrame());
        Tshark.assumeAvailable();
        assertThat(Tshark.frames(e.capture(), "tcp.analysis.out_of_order")).as("the case tested")
                .containsExactly(e.bodyFrames()[1]);
        assertThat(tsharkResponses(e.capture())).as("tshark's response frames").isEqualTo(ours);
    }

    @Test
    @DisplayName("when the out-of-order segment is the one that completes the body, the response counts in that "
            + "frame (as tshark's out-of-order reassembly reports it), and the next exchange still counts")
    void holeFilledLast() throws IOException {
        Exchange e = exchange("filled-last", new int[] {0, 2, 1});

        Set<Long> ours = ourResponses(e.capture());

        assertThat(ours).containsExactly(e.bodyFrames()[1], e.notFoundFrame());
        Tshark.assumeAvailable();
        assertThat(Tshark.frames(e.capture(), "tcp.analysis.out_of_order")).as("the case tested")
                .containsExactly(e.bodyFrames()[1]);
        assertThat(tsharkResponses(e.capture())).as("tshark's response frames").isEqualTo(ours);
    }

    @Test
    @DisplayName("a body segment lost and resent after eleven later ones completes the response in the resending "
            + "frame, as tshark's out-of-order reassembly reports it: the later segments are one kept range, not "
            + "eleven (more than the eight holes kept)")
    void resentAfterManyLaterSegments() throws IOException {
        Exchange e = exchange("resent-late", new int[] {0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1});

        Set<Long> ours = ourResponses(e.capture());

        assertThat(ours).containsExactly(e.bodyFrames()[1], e.notFoundFrame());
        Tshark.assumeAvailable();
        assertThat(Tshark.frames(e.capture(), "tcp.analysis.retransmission || tcp.analysis.out_of_order"))
                .as("the case tested").containsExactly(e.bodyFrames()[1]);
        assertThat(tsharkResponses(e.capture())).as("tshark's response frames").isEqualTo(ours);
    }

    @Test
    @DisplayName("a response whose status line is captured after ten of its body segments (its start was lost and "
            + "resent) counts where its first body segment fills the hole, as tshark's out-of-order reassembly "
            + "reports it")
    void startCapturedAfterLaterData() throws IOException {
        Exchange e = exchange("start-late", new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0}, 10);

        Set<Long> ours = ourResponses(e.capture());

        assertThat(ours).containsExactly(e.bodyFrames()[0], e.notFoundFrame());
        Tshark.assumeAvailable();
        assertThat(Tshark.frames(e.capture(), "tcp.analysis.lost_segment")).as("the case tested: a hole first")
                .containsExactly(e.bodyFrames()[1]);
        assertThat(tsharkResponses(e.capture())).as("tshark's response frames").isEqualTo(ours);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
