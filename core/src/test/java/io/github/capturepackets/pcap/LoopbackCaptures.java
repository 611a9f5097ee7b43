package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Captures made by real tcpdump on loopback while the test generates its own bounded traffic on 127.0.0.1 and
 * ::1: TCP transfers, refused connections (RST), UDP exchanges, UDP to a closed port (ICMP / ICMPv6
 * unreachable). Four tcpdumps run at once so one round of traffic yields every link type.
 */
record LoopbackCaptures(Path ethernet, Path ethernetNanos, Path sll2, Path sll) {

    /** Captures everything into {@code dir}; needs root and tcpdump (callers check with Tools.assumeCanCapture). */
    static LoopbackCaptures capture(Path dir) throws Exception {
        int[] ports = freePorts(4);
        String filter = "(tcp or udp) and (port " + ports[0] + " or port " + ports[1] + " or port " + ports[2]
                + " or port " + ports[3] + ") or icmp or icmp6";
        LoopbackCaptures files = new LoopbackCaptures(dir.resolve("lo-ethernet.pcap"),
                dir.resolve("lo-ethernet-nanos.pcap"), dir.resolve("any-sll2.pcap"), dir.resolve("any-sll.pcap"));
        List<Process> dumps = new ArrayList<>();
        try {
            dumps.add(tcpdump(List.of("-i", "lo"), files.ethernet(), filter));
            dumps.add(tcpdump(List.of("-i", "lo", "--time-stamp-precision=nano"), files.ethernetNanos(), filter));
            dumps.add(tcpdump(List.of("-i", "any"), files.sll2(), filter));
            dumps.add(tcpdump(List.of("-i", "any", "-y", "LINUX_SLL"), files.sll(), filter));
            generateTraffic(ports);
            // tcpdump writes each packet as it gets it (-U): stop once no file has grown for a while.
            waitUntilStable(List.of(files.ethernet(), files.ethernetNanos(), files.sll2(), files.sll()));
        } finally {
            for (Process p : dumps) {
                p.destroy();
            }
            for (Process p : dumps) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        return files;
    }

    private static void waitUntilStable(List<Path> paths) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long total = 0;
            for (Path p : paths) {
                total += Files.exists(p) ? Files.size(p) : 0;
            }
            if (total != last) {
                last = total;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(700)) {
                return;
            }
            Thread.sleep(50);
        }
    }

    private static Process tcpdump(List<String> options, Path file, String filter) throws Exception {
        // --immediate-mode: without it libpcap hands packets over in blocks with a 1 s timeout, and stopping
        // tcpdump loses the packets of the last, unfinished block. -B: with a 256 KiB snap length the default
        // 2 MiB ring holds only a few loopback-sized (64 KiB) packets and the kernel drops the rest.
        List<String> command = new ArrayList<>(List.of("tcpdump", "--immediate-mode", "-U", "-Z", "root", "-s",
                "262144", "-B", "65536"));
        command.addAll(options);
        command.addAll(List.of("-w", file.toString(), filter));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        CountDownLatch listening = new CountDownLatch(1);
        StringBuilder stderr = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                    }
                    if (line.contains("listening on")) {
                        listening.countDown();
                    }
                }
            } catch (IOException e) {
                // tcpdump ended.
            }
        }, "tcpdump-stderr");
        reader.setDaemon(true);
        reader.start();
        boolean ready = listening.await(10, TimeUnit.SECONDS);
        if (!ready) {
            process.destroyForcibly();
            synchronized (stderr) {
                throw new IllegalStateException("tcpdump " + command + " did not start listening: " + stderr);
            }
        }
        return process;
    }

    private static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return ports;
    }

    /** ports[0] TCP server, ports[1] closed TCP port, ports[2] UDP echo, ports[3] closed UDP port. */
    private static void generateTraffic(int[] ports) throws Exception {
        for (String host : List.of("127.0.0.1", "::1")) {
            InetAddress address = InetAddress.getByName(host);
            tcpExchange(address, ports[0], 2_000, 150_000);
            tcpExchange(address, ports[0], 10, 10);
            refused(address, ports[1]);
            udpExchange(address, ports[2], ports[3]);
        }
    }

    private static void tcpExchange(InetAddress address, int port, int requestBytes, int responseBytes)
            throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(address, port));
            Thread serverThread = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5_000);
                    InputStream in = s.getInputStream();
                    byte[] request = in.readNBytes(requestBytes);
                    assertThat(request).hasSize(requestBytes);
                    OutputStream out = s.getOutputStream();
                    out.write(new byte[responseBytes]);
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            serverThread.start();
            try (Socket client = new Socket()) {
                client.setSoTimeout(5_000);
                client.connect(new InetSocketAddress(address, port), 5_000);
                client.getOutputStream().write(new byte[requestBytes]);
                byte[] response = client.getInputStream().readNBytes(responseBytes);
                assertThat(response).hasSize(responseBytes);
            }
            serverThread.join(10_000);
        }
    }

    private static void refused(InetAddress address, int port) {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(address, port), 2_000);
            throw new IllegalStateException("port " + port + " was expected to be closed");
        } catch (IOException expected) {
            // Connection refused: SYN answered by RST, which is what the capture should show.
        }
    }

    private static void udpExchange(InetAddress address, int echoPort, int closedPort) throws Exception {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(address, echoPort));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress(address, 0))) {
            server.setSoTimeout(5_000);
            client.setSoTimeout(5_000);
            for (int size : new int[] {1, 512, 30_000}) {
                client.send(new DatagramPacket(new byte[size], size, address, echoPort));
                DatagramPacket got = new DatagramPacket(new byte[65_536], 65_536);
                server.receive(got);
                server.send(new DatagramPacket(got.getData(), got.getLength(), got.getSocketAddress()));
                client.receive(new DatagramPacket(new byte[65_536], 65_536));
            }
            client.send(new DatagramPacket(new byte[20], 20, address, closedPort));
            // The ICMP error surfaces (or not) on the next receive; either way the packet is on the wire.
            try {
                client.setSoTimeout(200);
                client.receive(new DatagramPacket(new byte[100], 100));
            } catch (SocketTimeoutException | PortUnreachableException expected) {
                // Expected: nothing listens on the closed port.
            }
        }
    }
}
