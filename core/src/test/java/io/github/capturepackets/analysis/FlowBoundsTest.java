package io.github.capturepackets.analysis;

import static io.github.capturepackets.analysis.PcapBuilder.ACK;
import static io.github.capturepackets.analysis.PcapBuilder.PSH;
import static io.github.capturepackets.analysis.PcapBuilder.RST;
import static io.github.capturepackets.analysis.PcapBuilder.SYN;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.pcap.CaptureReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Memory stays bounded: finished flows leave the live table, and the report keeps the most interesting flows. */
class FlowBoundsTest {
    @TempDir
    Path dir;

    private static String client(int i) {
        return "10.2." + (i / 250) + "." + (1 + i % 250);
    }

    private AnalysisEngine run(Path file, AnalysisOptions options, int sweepInterval, int maxLive)
            throws IOException {
        AnalysisEngine engine = new AnalysisEngine(options, sweepInterval, maxLive);
        engine.beginCapture(0, "bounds");
        try (CaptureReader reader = CaptureReader.open(file)) {
            reader.read(engine);
        }
        engine.endCapture();
        return engine;
    }

    @Test
    @DisplayName("Connections that ended (reset or closed) leave the live table some seconds after their last packet")
    void finishedFlowsAreEvicted() throws IOException {
        PcapBuilder b = new PcapBuilder();
        for (int i = 0; i < 3000; i++) {
            String c = client(i);
            b.tcp(c, 40000, "10.0.0.2", 80, 1, 0, SYN, 64240, 0)
                    .tcp("10.0.0.2", 80, c, 40000, 9, 2, SYN | ACK, 65160, 0)
                    .tcp(c, 40000, "10.0.0.2", 80, 2, 10, RST | ACK, 0, 0)
                    .after(100_000);
        }
        AnalysisEngine engine = run(b.write(dir.resolve("closed.pcap")), AnalysisOptions.defaults(), 300, 100_000);
        // 10 s of idle time at 10 connections per second, plus one sweep interval: about 130 live at most.
        assertThat(engine.peakLiveFlows()).isBetween(50, 200);
        assertThat(engine.flowCount).isEqualTo(3000);
        assertThat(engine.stats().tcp().resets()).isEqualTo(3000);
        assertThat(engine.liveFlows()).isZero();
    }

    @Test
    @DisplayName("Open connections beyond the live bound are summarized, oldest idle first, so the table stays bounded")
    void liveTableIsBounded() throws IOException {
        PcapBuilder b = new PcapBuilder();
        for (int i = 0; i < 3000; i++) {
            b.tcp(client(i), 40000, "10.0.0.2", 80, 1, 0, ACK | PSH, 502, 10).after(1000);
        }
        AnalysisEngine engine = run(b.write(dir.resolve("open.pcap")), AnalysisOptions.defaults(), 100, 400);
        assertThat(engine.peakLiveFlows()).isLessThanOrEqualTo(400 + 100);
        assertThat(engine.flowCount).isEqualTo(3000);
    }

    @Test
    @DisplayName("The report keeps at most maxFlows summaries, flows with findings first, and counts all flows")
    void summariesAreBounded() throws IOException {
        PcapBuilder b = new PcapBuilder();
        for (int i = 0; i < 300; i++) {
            AnalyzerVerdictTest.cleanExchange(b, 20000 + i);
        }
        AnalyzerVerdictTest.refusal(b, 19999);
        AnalysisReport r = Analyzer.analyze(List.of(b.write(dir.resolve("many.pcap"))),
                AnalysisOptions.defaults().withMaxFlows(10));
        assertThat(r.flowCount()).isEqualTo(301);
        assertThat(r.flows()).hasSize(10);
        assertThat(r.flows().get(0).state()).isEqualTo("REFUSED");
        assertThat(r.flows().get(0).findings()).extracting(Finding::rule).containsExactly(Rule.TCP_REFUSED);
        assertThat(Analyzer.analyze(List.of(b.write(dir.resolve("none.pcap"))),
                AnalysisOptions.defaults().withMaxFlows(0)).flows()).isEmpty();
    }
}
