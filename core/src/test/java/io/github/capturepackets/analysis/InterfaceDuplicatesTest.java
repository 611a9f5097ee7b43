package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import io.github.capturepackets.testing.Tshark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node-level capture on a bridge records every packet twice (on each pod's veth): real tcpdump in network
 * namespaces that core/src/test/scenarios/bridge-duplicates.sh creates. By default the analysis counts the copies
 * as Wireshark does (retransmissions, duplicate ACKs); with {@code ignoreInterfaceDuplicates} it skips them.
 */
class InterfaceDuplicatesTest {
    @TempDir
    static Path dir;
    static Path capture;

    @BeforeAll
    static void record() throws IOException, InterruptedException {
        Needs.root("the bridge scenario's network namespaces");
        Needs.tools("tcpdump", "python3", "ip");
        Tshark.assumeAvailable();
        Path script = Path.of("src/test/scenarios/bridge-duplicates.sh").toAbsolutePath();
        capture = dir.resolve("bridge.pcap");
        Process process = new ProcessBuilder("timeout", "60", "bash", script.toString(), capture.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the scenario ends within its 60 s bound").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).as("tcpdump lost nothing").contains("0 packets dropped by kernel");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH") + ":/usr/sbin:/sbin";
        return java.util.Arrays.stream(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    @Test
    @DisplayName("by default the copies count as tshark counts them: retransmissions and duplicate ACKs")
    void copiesCountAsInWireshark() {
        AnalysisReport report = Analyzer.analyze(List.of(capture), AnalysisOptions.defaults());

        long retransmissions = Tshark.count(capture, "tcp.analysis.retransmission");
        long duplicateAcks = Tshark.count(capture, "tcp.analysis.duplicate_ack");
        assertThat(retransmissions + duplicateAcks).as("the bridge doubles every packet").isPositive();
        assertThat(report.stats().tcp().retransmissions()).isEqualTo(retransmissions);
        assertThat(report.stats().tcp().duplicateAcks()).isEqualTo(duplicateAcks);
        assertThat(report.verdicts()).extracting(Finding::rule)
                .doesNotContain(Rule.CAPTURE_INTERFACE_DUPLICATE);
    }

    @Test
    @DisplayName("ignoring interface duplicates: exactly one IP packet in two is skipped, and the exchange analyzes "
            + "clean")
    void copiesIgnored() {
        AnalysisReport all = Analyzer.analyze(List.of(capture), AnalysisOptions.defaults());
        AnalysisReport report = Analyzer.analyze(List.of(capture),
                AnalysisOptions.defaults().withIgnoreInterfaceDuplicates(true));

        long ipPackets = Tshark.count(capture, "ip");
        assertThat(report.verdicts()).filteredOn(f -> f.rule() == Rule.CAPTURE_INTERFACE_DUPLICATE).singleElement()
                .satisfies(f -> {
                    assertThat(f.count() * 2).isEqualTo(ipPackets);
                    assertThat(f.severity()).isEqualTo(Severity.CHAT);
                });
        assertThat(report.packets()).as("the capture's packets are still all counted").isEqualTo(all.packets());
        assertThat(report.stats().tcp().retransmissions()).isZero();
        assertThat(report.stats().tcp().duplicateAcks()).isZero();
        assertThat(report.stats().http().requests()).isEqualTo(Tshark.count(capture, "http.request"))
                .isEqualTo(2);
        assertThat(report.stats().http().status()).containsEntry(200, 2L);
        assertThat(report.flows()).filteredOn(f -> f.protocol().equals("TCP"))
                .allSatisfy(f -> assertThat(f.findings()).extracting(Finding::rule)
                        .doesNotContain(Rule.TCP_RETRANSMISSION, Rule.TCP_DUPLICATE_ACK));
    }

    @Test
    @DisplayName("the CLI's --ignore-interface-duplicates does the same (launcher, JSON on stdout)")
    void cliOption() throws IOException, InterruptedException {
        Path launcher = Path.of("..", "capture-packets").toAbsolutePath().normalize();
        Process process = new ProcessBuilder(launcher.toString(), "analyze", "--ignore-interface-duplicates",
                "--json", "-", capture.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String json = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(json).isZero();
        var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        assertThat(report.at("/stats/tcp/retransmissions").isIntegralNumber())
                .as("/stats/tcp/retransmissions is present, as an integer (a missing field also reads 0)").isTrue();
        assertThat(report.at("/stats/tcp/retransmissions").longValue()).isZero();
        assertThat(report.at("/stats/tcp/duplicateAcks").isIntegralNumber())
                .as("/stats/tcp/duplicateAcks is present, as an integer (a missing field also reads 0)").isTrue();
        assertThat(report.at("/stats/tcp/duplicateAcks").longValue()).isZero();
        assertThat(json).contains("capture.interface-duplicate");
    }
}
