package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.ACK;
import static io.github.capturepackets.analysis.PcapBuilder.PSH;
import static io.github.capturepackets.analysis.TcpAnalysisTest.C;
import static io.github.capturepackets.analysis.TcpAnalysisTest.CS;
import static io.github.capturepackets.analysis.TcpAnalysisTest.S;
import static io.github.capturepackets.analysis.TcpAnalysisTest.SS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.InterfaceStatistics;
import io.github.capturepackets.pcap.Packet;
import io.github.capturepackets.pcap.PcapngWriter;
import io.github.capturepackets.testing.ScenarioCaptures;
import io.github.capturepackets.testing.ScenarioCaptures.Scenario;
import io.github.capturepackets.testing.ScenarioCaptures.View;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packets the capture itself lost (tcpdump's "dropped by kernel", given as gaps or read from pcapng statistics
 * blocks) make a report incomplete, and are told apart from loss on the network.
 */
class CaptureDropsTest {
    private static final String NOTE = "(capture.dropped), so these gaps are likely the capture's own losses, not "
            + "the network's";

    @TempDir
    Path dir;

    private Path clean(String file) throws IOException {
        return AnalyzerVerdictTest.cleanExchange(new PcapBuilder(), 40000).write(dir.resolve(file));
    }

    /** A connection whose client skips bytes 101-200: one "previous segment not captured". */
    private Path missingSegment(String file) throws IOException {
        PcapBuilder b = TcpAnalysisTest.handshake(new PcapBuilder());
        b.after(1000).tcp(C, 40000, S, 80, CS + 1, SS + 1, ACK | PSH, 502, 100);
        b.after(1000).tcp(C, 40000, S, 80, CS + 201, SS + 1, ACK | PSH, 502, 100);
        return b.write(dir.resolve(file));
    }

    private static AnalysisReport analyze(List<Path> files, List<String> names, CaptureGap... gaps) {
        return Analyzer.analyze(files, names, AnalysisOptions.defaults(), List.of(), List.of(gaps));
    }

    private static Finding verdict(AnalysisReport report, Rule rule) {
        return report.verdicts().stream().filter(f -> f.rule() == rule).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("Drops of one capture, given in two gaps, are one capture.dropped finding counting them all")
    void dropsFromGaps() throws IOException {
        AnalysisReport r = analyze(List.of(clean("web.pcap")), List.of("shop/web-0"),
                new CaptureGap("shop/web-0", 300, null), new CaptureGap("shop/web-0", 46, null));

        assertThat(r.complete()).isFalse();
        assertThat(r.verdict()).isEqualTo(Verdict.WARN);
        assertThat(r.droppedPackets()).isEqualTo(346);
        Finding dropped = verdict(r, Rule.CAPTURE_DROPPED);
        assertThat(dropped.severity()).isEqualTo(Severity.WARN);
        assertThat(dropped.count()).isEqualTo(346);
        assertThat(dropped.message()).startsWith(Rule.CAPTURE_DROPPED.description())
                .endsWith(": shop/web-0 dropped 346 packets");
        assertThat(r.verdicts()).extracting(Finding::rule).doesNotContain(Rule.CAPTURE_INCOMPLETE);
        // One problem per gap, each a sentence with the pod, the count and the fix.
        assertThat(r.problems()).hasSize(2).allSatisfy(p -> {
            assertThat(p.source()).isEqualTo("shop/web-0");
            assertThat(p.offset()).isEqualTo(-1);
            assertThat(p.message()).startsWith("shop/web-0: tcpdump dropped ").contains("bufferSize");
        });
        assertThat(r.problems().get(0).message()).contains("dropped 300 packets");
    }

    @Test
    @DisplayName("A gap with a reason and no drops is capture.incomplete with the reason; its sentence is kept")
    void reasonWithoutDrops() throws IOException {
        String reason = "shop/web-0 was deleted 2 s before the test ended: the capture misses its last 2 s.";
        AnalysisReport r = analyze(List.of(clean("web.pcap")), List.of("shop/web-0"),
                new CaptureGap("shop/web-0", 0, reason));

        assertThat(r.complete()).isFalse();
        assertThat(r.droppedPackets()).isZero();
        assertThat(r.verdicts()).extracting(Finding::rule).containsExactly(Rule.CAPTURE_INCOMPLETE);
        assertThat(r.verdicts().get(0).message()).contains(reason);
        assertThat(r.problems()).singleElement().isEqualTo(new CaptureProblem("shop/web-0", -1, reason));
    }

    @Test
    @DisplayName("A gap naming no capture (a pod that wrote no file) is still reported; a gap with nothing is not")
    void gapWithoutCapture() throws IOException {
        AnalysisReport r = analyze(List.of(clean("web.pcap")), List.of("shop/web-0"),
                new CaptureGap("shop/web-1", 12, "shop/web-1: tcpdump dropped 12 packets. Raise bufferSize."),
                new CaptureGap("shop/web-0", 0, null));

        assertThat(r.complete()).isFalse();
        assertThat(r.sources()).containsExactly("shop/web-0");
        assertThat(verdict(r, Rule.CAPTURE_DROPPED).message()).endsWith("shop/web-1 dropped 12 packets");
        assertThat(r.problems()).extracting(CaptureProblem::source).containsExactly("shop/web-1");

        AnalysisReport nothing = analyze(List.of(clean("web.pcap")), List.of("shop/web-0"),
                new CaptureGap("shop/web-0", 0, null));
        assertThat(nothing.complete()).isTrue();
        assertThat(nothing.verdicts()).isEmpty();
    }

    @Test
    @DisplayName("A gap needs a source and a count of at least 0, and says which capture was wrong")
    void gapValidation() {
        assertThatThrownBy(() -> new CaptureGap("shop/web-0", -1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shop/web-0");
        assertThatThrownBy(() -> new CaptureGap(null, 0, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("Lost segments say the capture dropped packets, only for the captures that did, in verdict and flow")
    void lostSegmentNote() throws IOException {
        List<Path> files = List.of(missingSegment("a.pcap"), missingSegment("b.pcap"));
        List<String> names = List.of("shop/a", "shop/b");

        AnalysisReport plain = analyze(files, names);
        assertThat(verdict(plain, Rule.TCP_LOST_SEGMENT).message()).doesNotContain("capture.dropped");

        AnalysisReport r = analyze(files, names, new CaptureGap("shop/a", 346, null));
        Finding lost = verdict(r, Rule.TCP_LOST_SEGMENT);
        assertThat(lost.count()).isEqualTo(2);
        assertThat(lost.message()).contains("(capture.dropped: 346 in shop/a), so the gaps there are likely the "
                + "capture's own losses").doesNotContain("in shop/b");
        assertThat(r.flows()).hasSize(2).allSatisfy(flow -> {
            Finding onFlow = flow.findings().stream().filter(f -> f.rule() == Rule.TCP_LOST_SEGMENT).findFirst()
                    .orElseThrow();
            if (onFlow.flow().startsWith("shop/a")) {
                assertThat(onFlow.message()).contains("the capture dropped 346 packets in this window " + NOTE);
            } else {
                assertThat(onFlow.message()).isEqualTo(Rule.TCP_LOST_SEGMENT.description());
            }
        });
    }

    @Test
    @DisplayName("On a real capture with lost segments, the lost-segment verdict names the capture's drops")
    void lostSegmentNoteOnRealCapture() {
        Path capture = ScenarioCaptures.get().path(Scenario.TCP_LOSS, View.ETHERNET);
        List<Path> files = List.of(capture);
        List<String> names = List.of("net/loss");

        Finding network = verdict(analyze(files, names), Rule.TCP_LOST_SEGMENT);
        assertThat(network.count()).isPositive();
        assertThat(network.message()).isEqualTo(Rule.TCP_LOST_SEGMENT.description());

        AnalysisReport r = analyze(files, names, new CaptureGap("net/loss", 5, null));
        Finding lost = verdict(r, Rule.TCP_LOST_SEGMENT);
        assertThat(lost.count()).isEqualTo(network.count());
        assertThat(lost.message()).isEqualTo(Rule.TCP_LOST_SEGMENT.description()
                + "; the capture dropped 5 packets in this window " + NOTE);
        assertThat(verdict(r, Rule.CAPTURE_DROPPED).count()).isEqualTo(5);
        assertThat(r.complete()).isFalse();
    }

    @Test
    @DisplayName("an unanswered SYN says its answer may be among the capture's drops, and only when there were drops")
    void unansweredSynNote() {
        Path capture = ScenarioCaptures.get().path(Scenario.TCP_UNANSWERED, View.ETHERNET);
        List<Path> files = List.of(capture);
        List<String> names = List.of("net/syn");

        Finding network = verdict(analyze(files, names), Rule.TCP_UNANSWERED_SYN);
        assertThat(network.message()).isEqualTo("SYN never answered: 10.77.2.2:8081, [fd77:2::2]:8081");

        Finding withDrops = verdict(analyze(files, names, new CaptureGap("net/syn", 3, null)),
                Rule.TCP_UNANSWERED_SYN);
        assertThat(withDrops.count()).isEqualTo(network.count());
        assertThat(withDrops.message()).isEqualTo("SYN never answered: 10.77.2.2:8081, [fd77:2::2]:8081"
                + "; the capture dropped packets in this window (capture.dropped: 3 in net/syn), so an answer may "
                + "have been sent and not captured");
    }

    /** The clean exchange as a pcapng with one interface and a statistics block carrying the given drops. */
    private Path pcapngWithDrops(String file, long osDropped, long ifDropped) throws IOException {
        Path out = dir.resolve(file);
        try (CaptureReader reader = CaptureReader.open(clean(file + ".pcap"));
                PcapngWriter writer = PcapngWriter.create(out, List.of())) {
            int id = writer.addInterface(101, 65535, "shop/web-0", null, List.of());
            Packet p;
            while ((p = reader.next()) != null) {
                writer.writePacket(id, p, null);
            }
            writer.writeStatistics(new InterfaceStatistics(id, -1, 900, 1, -1, 345, -1), null);
            // Counters run from the start of the capture: the last block holds the whole window's.
            writer.writeStatistics(new InterfaceStatistics(id, -1, 1000, ifDropped, -1, osDropped, -1), null);
        }
        return out;
    }

    @Test
    @DisplayName("A pcapng whose statistics block counts drops reports capture.dropped naming the interface")
    void dropsFromStatisticsBlocks() throws IOException {
        Path file = pcapngWithDrops("merged.pcapng", 346, 0);
        AnalysisReport r = Analyzer.analyze(List.of(file), AnalysisOptions.defaults());

        assertThat(r.complete()).isFalse();
        assertThat(r.droppedPackets()).isEqualTo(346);
        assertThat(verdict(r, Rule.CAPTURE_DROPPED).message())
                .endsWith(": interface shop/web-0 of merged.pcapng dropped 346 packets");
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.source()).isEqualTo(file.toString());
            assertThat(p.message()).startsWith("interface shop/web-0 of merged.pcapng: the capture dropped 346 "
                    + "packets (isb_osdrop 346 in its statistics block)").contains("bufferSize");
        });

        AnalysisReport both = Analyzer.analyze(List.of(pcapngWithDrops("both.pcapng", 300, 2)),
                AnalysisOptions.defaults());
        assertThat(both.droppedPackets()).isEqualTo(302);
        assertThat(both.problems().get(0).message()).contains("(isb_osdrop 300, isb_ifdrop 2 in its");

        AnalysisReport none = Analyzer.analyze(List.of(pcapngWithDrops("none.pcapng", 0, 0)),
                AnalysisOptions.defaults());
        assertThat(none.complete()).isTrue();
        assertThat(none.verdicts()).isEmpty();
    }

    @Test
    @DisplayName("Drops given for a capture replace those its statistics blocks count: never counted twice")
    void gapsReplaceStatistics() throws IOException {
        Path file = pcapngWithDrops("merged.pcapng", 346, 0);
        AnalysisReport r = analyze(List.of(file), List.of("shop/web-0"), new CaptureGap("shop/web-0", 346, null));
        assertThat(r.droppedPackets()).isEqualTo(346);
        assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.message()).startsWith("shop/web-0: "));
    }
}
