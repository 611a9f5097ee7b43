package io.github.capturepackets.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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

    /** TCP payload bytes sent to {@code port} in a capture, by tshark, retransmissions counted once. */
    public static long payloadTo(Path capture, int port) throws IOException, InterruptedException {
        Process tshark = new ProcessBuilder("tshark", "-n", "-r", capture.toString(), "-Y",
                "tcp.dstport == " + port + " && tcp.len > 0 && !tcp.analysis.retransmission", "-T", "fields",
                "-e", "tcp.len").redirectErrorStream(false).start();
        String out = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (!tshark.waitFor(60, TimeUnit.SECONDS) || tshark.exitValue() != 0) {
            throw new IOException("tshark failed on " + capture + ": "
                    + new String(tshark.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        long total = 0;
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                total += Long.parseLong(line.strip());
            }
        }
        return total;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
