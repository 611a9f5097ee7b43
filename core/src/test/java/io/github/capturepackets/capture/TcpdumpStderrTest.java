package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * tcpdump's standard error as tcpdump 4.99 writes it (lines copied from real runs: SIGUSR1 readings, the closing
 * counters, the capture shell's own lines), and the window arithmetic that must never count drops short.
 */
@DisplayName("tcpdump's standard error: readings, closing counters, windows")
class TcpdumpStderrTest {

    private static TcpdumpStderr read(String text) {
        TcpdumpStderr stderr = new TcpdumpStderr();
        stderr.consume(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        return stderr;
    }

    @Test
    @DisplayName("SIGUSR1 readings are parsed (singular, plural, padded, with interface drops) and numbered")
    void readings() throws Exception {
        TcpdumpStderr stderr = read("""
                capture-packets-spool /tmp/capture-packets-spool-7
                capture-packets-pid 9
                tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 65600 bytes
                tcpdump: 1 packet captured, 2 packets received by filter, 0 packets dropped by kernel
                tcpdump:  12 packets captured, 24 packets received by filter, 3 packets dropped by kernel
                tcpdump: 40 packets captured, 90 packets received by filter, 7 packets dropped by kernel, 2 packets dropped by interface
                40 packets captured
                90 packets received by filter
                9 packets dropped by kernel
                """);
        assertThat(stderr.readings()).isEqualTo(3);
        assertThat(stderr.awaitReading(0, 0)).isEqualTo(new TcpdumpCounters(1, 2, 0));
        assertThat(stderr.awaitReading(1, 0)).isEqualTo(new TcpdumpCounters(12, 24, 3));
        assertThat(stderr.awaitReading(2, 0)).as("interface drops are drops too").isEqualTo(new TcpdumpCounters(40, 90, 9));
        assertThat(stderr.awaitReading(3, 0)).as("after the last reading: the closing counters")
                .isEqualTo(new TcpdumpCounters(40, 90, 9));
        assertThat(stderr.counters()).isEqualTo(new TcpdumpCounters(40, 90, 9));
        assertThat(stderr.spool()).isEqualTo("/tmp/capture-packets-spool-7");
        assertThat(stderr.awaitPid(0)).isEqualTo("9");
        assertThat(stderr.text()).as("readings are not kept as messages").doesNotContain("captured");
    }

    @Test
    @DisplayName("a window starts from a reading of the last second only; an older one is asked for again")
    void recentReading() throws Exception {
        TcpdumpStderr stderr = new TcpdumpStderr();
        assertThat(stderr.recentReading(1_000)).as("no reading yet").isNull();
        stderr.accept("tcpdump: 5 packets captured, 5 packets received by filter, 1 packet dropped by kernel");
        assertThat(stderr.recentReading(1_000)).isEqualTo(new TcpdumpCounters(5, 5, 1));
        Thread.sleep(30);
        assertThat(stderr.recentReading(10)).as("older than allowed").isNull();
    }

    @Test
    @DisplayName("a reading that never comes is null after the wait; the spool-full line is kept")
    void missingReading() throws Exception {
        TcpdumpStderr stderr = new TcpdumpStderr();
        stderr.accept("capture-packets-spool-full 65");
        assertThat(stderr.awaitReading(0, 50)).isNull();
        assertThat(stderr.spoolFull()).isEqualTo("65");
    }

    @Test
    @DisplayName("the ring size is validated with a message that names bufferSize and the range")
    void bufferSizeValidated() {
        assertThatThrownBy(() -> CaptureRequest.builder().mode(CaptureMode.LOCAL).bufferSize(512).build())
                .hasMessageContaining("bufferSize 512 KiB is out of range: use 1024 to 1048576 KiB");
        assertThat(CaptureRequest.builder().mode(CaptureMode.LOCAL).build().bufferSize()).isEqualTo(65536);
        assertThat(TcpdumpCommand.tcpdump("tcpdump", "any", 0, 65536, "")).containsSequence("-B", "65536")
                .containsSequence("-s", "65600");
    }

    @Test
    @DisplayName("the spool's bound follows the byte limit, and the shell needs -w - to put the spool in its place")
    void spoolBound() {
        assertThat(TcpdumpCommand.spoolFiles(new CaptureLimits(Duration.ofMinutes(1), 0, 0, 0))).isEqualTo(64);
        assertThat(TcpdumpCommand.spoolFiles(new CaptureLimits(Duration.ofMinutes(1), 100_000_000, 0, 0)))
                .isEqualTo(8);
        String line = TcpdumpCommand.shellCommand(Duration.ofSeconds(5),
                TcpdumpCommand.tcpdump("tcpdump", "any", 0, 2048, "tcp port 80"), 8, Path.of("/tmp").toString());
        assertThat(line).contains("-w \"$f\" -C 16 ").contains("-w - ").contains("[ $# -gt 8 ]")
                .contains("sleep 1 </dev/null");
        assertThatThrownBy(() -> TcpdumpCommand.shellCommand(Duration.ofSeconds(5), java.util.List.of("tcpdump"), 8))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
