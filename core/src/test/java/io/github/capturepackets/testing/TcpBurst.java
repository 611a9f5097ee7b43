package io.github.capturepackets.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection over loopback that carries a given number of bytes as fast as the kernel allows, and the
 * oracle for how many of them a capture holds (tshark).
 */
public final class TcpBurst implements AutoCloseable {
    private final ServerSocket server;

    /** A server on 127.0.0.1. */
    public TcpBurst() throws IOException {
        this(InetAddress.getLoopbackAddress());
    }

    /** A server on a loopback address of its own (say 127.0.77.1), so a host filter keeps other traffic out. */
    public TcpBurst(InetAddress address) throws IOException {
        server = new ServerSocket(0, 1, address);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Sends {@code bytes} to the server, which reads and discards them; returns the bytes sent. */
    public long send(long bytes) throws IOException, InterruptedException {
        Thread sink = new Thread(() -> {
            try (Socket accepted = server.accept(); InputStream in = accepted.getInputStream()) {
                byte[] buffer = new byte[1 << 16];
                while (in.read(buffer) >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // the sender's count is what the test compares
            }
        }, "tcp-burst-sink");
        sink.setDaemon(true);
        sink.start();
        long sent = 0;
        try (Socket socket = new Socket(server.getInetAddress(), port());
                OutputStream out = socket.getOutputStream()) {
            byte[] chunk = new byte[1 << 16];
            while (sent < bytes) {
                int n = (int) Math.min(chunk.length, bytes - sent);
                out.write(chunk, 0, n);
                sent += n;
            }
        }
        sink.join(10_000);
        return sent;
    }

    /** TCP payload bytes sent to {@code port} in a capture, each byte once (see {@link #coveredPayload}). */
    public static long payloadTo(Path capture, int port) throws IOException, InterruptedException {
        return coveredPayload(capture, "tcp.dstport == " + port);
    }

    /**
     * The payload bytes of the TCP segments that match {@code displayFilter} (one direction of one connection),
     * counted by tshark's relative sequence numbers, each byte once: a retransmission or a segment sent again
     * (D-SACK, which tshark may call out-of-order rather than a retransmission) covers bytes already counted.
     */
    public static long coveredPayload(Path capture, String displayFilter) throws IOException, InterruptedException {
        Process tshark = new ProcessBuilder("tshark", "-n", "-r", capture.toString(), "-Y",
                "(" + displayFilter + ") && tcp.len > 0", "-T", "fields", "-e", "tcp.seq", "-e", "tcp.len").start();
        String out = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (!tshark.waitFor(120, TimeUnit.SECONDS) || tshark.exitValue() != 0) {
            throw new IOException("tshark failed on " + capture + ": "
                    + new String(tshark.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        List<long[]> ranges = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                String[] fields = line.strip().split("\\s+");
                long seq = Long.parseLong(fields[0]);
                ranges.add(new long[] {seq, seq + Long.parseLong(fields[1])});
            }
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        long covered = 0;
        long end = Long.MIN_VALUE;
        for (long[] range : ranges) {
            long from = Math.max(range[0], end);
            if (range[1] > from) {
                covered += range[1] - from;
                end = range[1];
            }
        }
        return covered;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
