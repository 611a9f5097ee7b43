package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.Needs;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Streaming: packets are decoded while tcpdump is still writing them to a pipe")
class StreamingTcpdumpTest {

    @TempDir(factory = TargetTempDir.class)
    Path dir;

    @Test
    @DisplayName("tcpdump -w - read live: every packet arrives before tcpdump stops, and matches tshark on the same bytes")
    void readsLivePipe() throws Exception {
        Tools.assumeCanCapture();
        Needs.tools("tshark");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Process tcpdump = new ProcessBuilder("tcpdump", "--immediate-mode", "-U", "-Z", "root", "-B", "65536", "-i",
                "any", "-w", "-", "tcp port " + port).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Path copy = dir.resolve("streamed.pcap");
        AtomicLong live = new AtomicLong();
        CompletableFuture<CaptureReader> reading = CompletableFuture.supplyAsync(() -> {
            try {
                CaptureReader reader = CaptureReader.open(new Tee(tcpdump.getInputStream(), Files.newOutputStream(copy)),
                        "tcpdump -i any");
                reader.read(p -> {
                    live.incrementAndGet();
                    return true;
                });
                return reader;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            // tcpdump writes the file header only once it listens; give it a moment, then talk until it shows up.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int exchanges = 0;
            while (live.get() < 30 && System.nanoTime() < deadline) {
                exchange(port);
                exchanges++;
                Thread.sleep(100);
            }
            assertThat(exchanges).isPositive();
            long seenWhileRunning = live.get();
            assertThat(seenWhileRunning).as("packets decoded while tcpdump was still running").isGreaterThanOrEqualTo(30);
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor(10, TimeUnit.SECONDS);
        }
        try (CaptureReader reader = reading.get(20, TimeUnit.SECONDS)) {
            assertThat(reader.linkTypes()).containsExactly(LinkType.LINUX_SLL2);
            assertThat(reader.problems()).allSatisfy(p -> assertThat(p.kind()).isEqualTo(CaptureProblem.Kind.TRUNCATED));
            // A stream cut off mid-packet (tcpdump stopped while writing) still has its whole packets checked: tshark
            // refuses a file that ends inside a record, so it gets the copy up to the last whole one.
            Path whole = reader.complete() ? copy : wholeRecords(copy);
            assertThat(TsharkOracle.assertAgrees(whole)).isEqualTo(live.get());
        }
    }

    /** A copy of a little-endian pcap file up to the end of its last whole record. */
    private static Path wholeRecords(Path pcap) throws IOException {
        byte[] bytes = Files.readAllBytes(pcap);
        int end = 24;
        for (int offset : Fixtures.pcapRecordOffsets(bytes)) {
            int next = offset + 16 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(offset + 8);
            if (next <= bytes.length) {
                end = next;
            }
        }
        return Files.write(pcap.resolveSibling("whole-records.pcap"), Arrays.copyOf(bytes, end));
    }

    private static void exchange(int port) throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(lo, port));
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(new byte[1000]);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress(lo, port), 2_000);
                client.setSoTimeout(2_000);
                assertThat(client.getInputStream().readNBytes(1000)).hasSize(1000);
            }
            accepted.join();
        }
    }

    /** Copies what the reader consumes to a file, so tshark can check the very same bytes. */
    private static final class Tee extends FilterInputStream {
        private final OutputStream copy;

        Tee(InputStream in, OutputStream copy) {
            super(in);
            this.copy = copy;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                copy.write(b, off, n);
                copy.flush();
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            try (OutputStream c = copy) {
                super.close();
            }
        }
    }
}
