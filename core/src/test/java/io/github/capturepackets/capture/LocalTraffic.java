package io.github.capturepackets.capture;

import io.github.capturepackets.testing.Needs;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Real traffic on loopback and in network namespaces these tests create, plus tshark as the oracle. */
final class LocalTraffic {
    private LocalTraffic() {
    }

    static void assumeCaptureWorks() {
        Needs.that(LocalCapture.findTcpdump(System.getenv("PATH") + ":/usr/sbin:/sbin").isPresent(), "tcpdump",
                "local capture tests run tcpdump; install it (apt-get install -y tcpdump); .ci/run does");
        Needs.root("capturing with tcpdump");
    }

    static void assumeTshark() {
        Needs.tools("tshark");
    }

    /** A free UDP port on 127.0.0.1 (nothing listens, so nothing answers; the datagrams still cross lo). */
    static int freeUdpPort() throws IOException {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Paced (2 ms apart): in immediate mode tcpdump wakes up per packet, and a burst on lo overruns its ring buffer
     * (the kernel-drop counter shows it); these tests are about capturing, not about bursts.
     */
    static void sendUdp(int port, String payload, int count) throws IOException, InterruptedException {
        try (DatagramSocket socket = new DatagramSocket()) {
            byte[] data = payload.getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < count; i++) {
                socket.send(new DatagramPacket(data, data.length, InetAddress.getLoopbackAddress(), port));
                Thread.sleep(2);
            }
        }
    }

    static boolean fileContains(Path file, String text) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(text);
    }

    static String uniqueName(String prefix) {
        return prefix + String.format("%05x", ThreadLocalRandom.current().nextInt(0x100000));
    }

    /** Runs a command, returns its standard output; fails on a non-zero exit. */
    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + text);
        }
        return text;
    }

    /** tshark's count of packets in a file matching a display filter (empty: all). */
    static int tsharkCount(Path file, String displayFilter) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e",
                "frame.number"));
        if (!displayFilter.isEmpty()) {
            command.add("-Y");
            command.add(displayFilter);
        }
        String out = run(command.toArray(String[]::new));
        // tshark's warnings (running as root) share the output: count the frame numbers only.
        return (int) out.lines().filter(l -> l.strip().matches("\\d+")).count();
    }

    /** A network namespace with its loopback up, deleted on close. */
    static final class Netns implements AutoCloseable {
        final String name;

        Netns() throws IOException, InterruptedException {
            name = uniqueName("cpt-");
            run("ip", "netns", "add", name);
            run("ip", "-n", name, "link", "set", "lo", "up");
        }

        /** A TCP connection attempt to a closed port inside the namespace: a SYN answered by a RST. */
        void connectToClosedPort(int port) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("ip", "netns", "exec", name, "bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/" + port).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            run("ip", "netns", "delete", name);
        }
    }
}
