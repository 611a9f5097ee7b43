package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.analysis.Marker;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Local capture with the real tcpdump")
class LocalCaptureTest {
    @TempDir
    Path output;

    @BeforeAll
    static void tcpdumpAndRoot() {
        LocalTraffic.assumeCaptureWorks();
        LocalTraffic.assumeTshark();
    }

    private CaptureRequest.Builder loopback(String filter) {
        return CaptureRequest.builder().name("local test").mode(CaptureMode.LOCAL).captureInterface("lo")
                .filter(filter).outputDirectory(output).startTimeout(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("traffic sent on loopback is in the pcap, and tcpdump's counters match the packets that arrived")
    void loopbackTrafficIsCaptured() throws Exception {
        int port = LocalTraffic.freeUdpPort();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(loopback("udp port " + port).build(),
                ClusterAccess.defaults())) {
            LocalTraffic.sendUdp(port, "hello-loopback-capture", 7);
            Thread.sleep(200);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.pod()).isEqualTo("lo");
        assertThat(capture.mode()).isEqualTo(CaptureMode.LOCAL);
        assertThat(capture.files()).hasSize(1);
        Path file = capture.files().get(0);
        assertThat(LocalTraffic.fileContains(file, "hello-loopback-capture")).isTrue();
        assertThat(LocalTraffic.tsharkCount(file, "udp.port == " + port)).isEqualTo(7);
        assertThat(capture.packets()).isEqualTo(7);
        assertThat(capture.bytes()).isEqualTo(java.nio.file.Files.size(file));
        assertThat(capture.counters().captured()).isEqualTo(7);
        assertThat(capture.counters().droppedByKernel()).isZero();
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        assertThat(result.complete()).isTrue();
    }

    @Test
    @DisplayName("a capture in a named network namespace sees that namespace's traffic only")
    void networkNamespaceCapture() throws Exception {
        try (LocalTraffic.Netns netns = new LocalTraffic.Netns()) {
            int port = LocalTraffic.freeUdpPort();
            CaptureResult result;
            try (CaptureSession session = CaptureEngine.start(loopback("tcp port " + port)
                    .networkNamespace(netns.name).build(), ClusterAccess.defaults())) {
                netns.connectToClosedPort(port);
                LocalTraffic.sendUdp(port, "host-side", 1);
                Thread.sleep(200);
                result = session.stop();
            }
            PodCapture capture = result.captures().get(0);
            assertThat(capture.pod()).isEqualTo(netns.name + ":lo");
            Path file = capture.files().get(0);
            assertThat(LocalTraffic.tsharkCount(file, "tcp.flags.syn == 1 && tcp.flags.ack == 0")).isEqualTo(1);
            assertThat(LocalTraffic.tsharkCount(file, "tcp.flags.reset == 1")).isEqualTo(1);
            assertThat(LocalTraffic.tsharkCount(file, "udp")).isZero();
            assertThat(capture.counters().captured()).isEqualTo(capture.packets());
            assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        }
    }

    @Test
    @DisplayName("the packet limit stops the capture cleanly and marks it incomplete with the reason")
    void packetLimit() throws Exception {
        int port = LocalTraffic.freeUdpPort();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(loopback("udp port " + port)
                .limits(new CaptureLimits(Duration.ofMinutes(1), 0, 5, 0)).build(), ClusterAccess.defaults())) {
            LocalTraffic.sendUdp(port, "over-the-limit", 20);
            Thread.sleep(300);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.complete()).isFalse();
        assertThat(capture.incompleteReason()).contains("packet limit of 5 packets per pod reached");
        assertThat(capture.packets()).isEqualTo(5);
        assertThat(LocalTraffic.tsharkCount(capture.files().get(0), "")).isEqualTo(5);
        assertThat(result.complete()).isFalse();
    }

    @Test
    @DisplayName("the byte limit keeps whole records under the limit and says so")
    void byteLimit() throws Exception {
        int port = LocalTraffic.freeUdpPort();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(loopback("udp port " + port)
                .limits(new CaptureLimits(Duration.ofMinutes(1), 1000, 0, 0)).build(), ClusterAccess.defaults())) {
            LocalTraffic.sendUdp(port, "x".repeat(200), 20);
            Thread.sleep(300);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.incompleteReason()).contains("byte limit of 1000 bytes per pod reached");
        assertThat(java.nio.file.Files.size(capture.files().get(0))).isLessThanOrEqualTo(1000).isEqualTo(capture.bytes());
        assertThat(LocalTraffic.tsharkCount(capture.files().get(0), "")).isEqualTo((int) capture.packets())
                .isBetween(1, 4);
    }

    @Test
    @DisplayName("rotation writes several files, each a valid pcap with its own header, losing no packet")
    void rotation() throws Exception {
        int port = LocalTraffic.freeUdpPort();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(loopback("udp port " + port)
                .limits(new CaptureLimits(Duration.ofMinutes(1), 0, 0, 1500)).build(), ClusterAccess.defaults())) {
            LocalTraffic.sendUdp(port, "y".repeat(300), 20);
            Thread.sleep(300);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        assertThat(capture.files()).hasSizeGreaterThan(3);
        int total = 0;
        for (Path file : capture.files()) {
            assertThat(file.getFileName().toString()).matches("lo-\\d{3}\\.pcap");
            assertThat(java.nio.file.Files.size(file)).isLessThanOrEqualTo(1500);
            total += LocalTraffic.tsharkCount(file, "udp.port == " + port);
        }
        assertThat(total).isEqualTo(20);
    }

    @Test
    @DisplayName("a slice holds only the packets of its own time window, and the markers set in it")
    void sliceHoldsItsWindow() throws Exception {
        int port = LocalTraffic.freeUdpPort();
        try (CaptureSession session = CaptureEngine.start(loopback("udp port " + port).build(),
                ClusterAccess.defaults())) {
            LocalTraffic.sendUdp(port, "before-the-slice", 3);
            Thread.sleep(300);
            CaptureResult slice;
            try (CaptureSession.Slice window = session.slice("my test()")) {
                LocalTraffic.sendUdp(port, "inside-the-slice", 4);
                session.mark("request sent");
                slice = window.end();
            }
            LocalTraffic.sendUdp(port, "after-the-slice", 2);
            Thread.sleep(300);
            CaptureResult whole = session.stop();

            PodCapture sliceCapture = slice.captures().get(0);
            Path file = sliceCapture.files().get(0);
            assertThat(file.getParent().getFileName().toString()).isEqualTo("my_test_");
            assertThat(LocalTraffic.tsharkCount(file, "")).isEqualTo(4);
            assertThat(LocalTraffic.fileContains(file, "inside-the-slice")).isTrue();
            assertThat(LocalTraffic.fileContains(file, "before-the-slice")).isFalse();
            assertThat(LocalTraffic.fileContains(file, "after-the-slice")).isFalse();
            assertThat(sliceCapture.packets()).isEqualTo(4);
            assertThat(slice.markers()).extracting(Marker::label).containsExactly("request sent");
            assertThat(slice.start()).isBefore(slice.end());
            assertThat(whole.captures().get(0).packets()).isEqualTo(9);
            assertThat(whole.markers()).hasSize(1);
        }
    }

    @Test
    @DisplayName("the time limit ends tcpdump on its own and the result says the limit was reached")
    void timeLimit() throws Exception {
        Instant begin = Instant.now();
        try (CaptureSession session = CaptureEngine.start(loopback("udp port 9")
                .limits(new CaptureLimits(Duration.ofSeconds(2), 0, 0, 0)).build(), ClusterAccess.defaults())) {
            Thread.sleep(3_500);
            CaptureResult result = session.stop();
            PodCapture capture = result.captures().get(0);
            assertThat(capture.complete()).isFalse();
            assertThat(capture.incompleteReason()).contains("time limit of PT2S reached");
            assertThat(capture.counters()).isNotNull();
            assertThat(Duration.between(begin, Instant.now())).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    @DisplayName("a tcpdump killed mid-capture: the packets that arrived are kept, the result says the stream ended "
            + "early, and stopping does not hang")
    void killedTcpdump() throws Exception {
        int port = LocalTraffic.freeUdpPort();
        try (CaptureSession session = CaptureEngine.start(loopback("udp port " + port).build(),
                ClusterAccess.defaults())) {
            LocalTraffic.sendUdp(port, "before-the-kill", 3);
            Thread.sleep(200);
            List<ProcessHandle> tcpdumps = ProcessHandle.current().descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("tcpdump")).toList();
            assertThat(tcpdumps).hasSize(1);
            tcpdumps.get(0).destroyForcibly();
            Thread.sleep(200);
            Instant stopping = Instant.now();
            CaptureResult result = session.stop();
            assertThat(Duration.between(stopping, Instant.now())).isLessThan(Duration.ofSeconds(3));
            PodCapture capture = result.captures().get(0);
            assertThat(capture.packets()).isEqualTo(3);
            assertThat(LocalTraffic.tsharkCount(capture.files().get(0), "")).isEqualTo(3);
            assertThat(capture.counters()).isNull();
            assertThat(capture.complete()).isFalse();
            assertThat(capture.incompleteReason()).contains("closing counters never arrived");
        }
    }

    @Test
    @DisplayName("a bad interface fails with the interface name and tcpdump's own error text")
    void badInterface() {
        assertThatThrownBy(() -> CaptureEngine.start(loopback("").captureInterface("nosuchif0").build(),
                ClusterAccess.defaults()))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("interface 'nosuchif0'")
                .hasMessageContaining("tcpdump: nosuchif0: No such device exists")
                .hasMessageContaining("ip link");
    }

    @Test
    @DisplayName("a bad filter fails with the filter and tcpdump's own error text")
    void badFilter() {
        assertThatThrownBy(() -> CaptureEngine.start(loopback("tcp port nosuchport").build(),
                ClusterAccess.defaults()))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("filter 'tcp port nosuchport'")
                .hasMessageContaining("tcpdump: unknown port 'nosuchport'");
    }

    @Test
    @DisplayName("a missing network namespace fails naming it")
    void missingNetns() {
        assertThatThrownBy(() -> CaptureEngine.start(loopback("").networkNamespace("cpt-does-not-exist").build(),
                ClusterAccess.defaults()))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("network namespace 'cpt-does-not-exist'")
                .hasMessageContaining("Cannot open network namespace");
    }

    @Test
    @DisplayName("without tcpdump the error says to install it")
    void tcpdumpMissing(@TempDir Path emptyBin) {
        assertThatThrownBy(() -> LocalCapture.start(loopback("").build(), emptyBin.toString()))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("tcpdump was not found")
                .hasMessageContaining("apt-get install tcpdump");
    }
}
