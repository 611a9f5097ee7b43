package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Memory stays flat: no allocation per packet, and a huge capture streams through a tiny heap")
class FlatMemoryTest {

    @Test
    @DisplayName("Reading and decoding 2 million packets allocates nothing per packet after warm-up")
    void noAllocationPerPacket() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long packets = 2 * 1024 * 1024;
        long warmUp = 200_000;
        long[] seen = {0};
        long[] allocatedAtWarmUp = {0};
        long[] sink = {0};
        try (CaptureReader reader = CaptureReader.open(new GeneratedCaptureStream(packets), "generated")) {
            reader.read(p -> {
                if (++seen[0] == warmUp) {
                    allocatedAtWarmUp[0] = threads.getThreadAllocatedBytes(thread);
                }
                sink[0] += p.srcLo() + p.dstPort() + p.seq() + p.payloadLength() + p.timestampNanos();
                return true;
            });
            long allocated = threads.getThreadAllocatedBytes(thread) - allocatedAtWarmUp[0];
            assertThat(seen[0]).isEqualTo(packets);
            assertThat(reader.complete()).isTrue();
            // A handful of buffer objects at most: far below one byte per packet.
            assertThat(allocated).as("bytes allocated over %d packets", packets - warmUp).isLessThan(256 * 1024);
        }
        assertThat(sink[0]).isNotZero();
    }

    @Test
    @DisplayName("A 1 GiB capture streams through a JVM capped at -Xmx24m (the bench harness, forked)")
    void hugeCaptureTinyHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long packets = 1024L * 1024 * 3; // 1.2 GB of pcap
        Process process = new ProcessBuilder(java, "-Xmx24m", "-cp", System.getProperty("java.class.path")
                + File.pathSeparator + classpathOf(DecodeBench.class), DecodeBench.class.getName(), "--synthetic",
                Long.toString(packets)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("packets=" + packets).contains("complete=true").doesNotContain("OutOfMemory");
        long bytes = Long.parseLong(output.replaceAll("(?s).*bytes=(\\d+).*", "$1"));
        assertThat(bytes).isGreaterThan(1L << 30);
    }

    private static String classpathOf(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString() + File.pathSeparator
                + Path.of(CaptureReader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
