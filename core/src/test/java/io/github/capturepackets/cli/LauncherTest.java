package io.github.capturepackets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.github.capturepackets.pcap.CaptureFormatException;
import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.Packet;
import io.github.capturepackets.testing.Needs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real launcher script {@code ./capture-packets} as a user would, on a capture made in the test by real
 * tcpdump on loopback (HTTP 200 and 503 from a local server, a refused connection), with tshark as the oracle.
 */
class LauncherTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path LAUNCHER = REPO.resolve("capture-packets");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path capture;
    private static int httpPort;

    record Result(int status, String out, String err) {
    }

    /** A missing jar is a broken packaging step, not a missing tool: it fails, it is never a skip. */
    @BeforeEach
    void checkBuilt() {
        assertThat(REPO.resolve("core/target/lib/jackson-core.jar"))
                .as("the launcher needs core/target/lib/jackson-core.jar, which maven-dependency-plugin copies at "
                        + "process-classes (core/pom.xml): that packaging step did not run or broke; "
                        + "`./mvnw -B -pl core test-compile` runs it")
                .isRegularFile();
    }

    static Result run(Map<String, String> env, Path launcher, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(launcher.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<byte[]> err = drain(process.getErrorStream());
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("launcher finished").isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err.join(), StandardCharsets.UTF_8));
    }

    static Result run(String... args) throws Exception {
        return run(Map.of("JAVA_OPTS", "-Xmx256m"), LAUNCHER, args);
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                in.transferTo(bytes);
            } catch (IOException e) {
                // The process is gone; what was read is all there is.
            }
            return bytes.toByteArray();
        });
    }

    /** Records HTTP 200, two 503s and a refused connection on 127.0.0.1 with tcpdump; once for all tests. */
    private static synchronized Path freshCapture() throws Exception {
        Needs.tools("tcpdump");
        Needs.root("capturing with tcpdump");
        if (capture != null) {
            return capture;
        }
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        HttpServer server = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        server.createContext("/", exchange -> {
            boolean fail = exchange.getRequestURI().getPath().startsWith("/fail");
            byte[] body = (fail ? "unavailable" : "ok").getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, loopback)) {
            closedPort = probe.getLocalPort();
        }
        httpPort = server.getAddress().getPort();
        Path file = dir.resolve("fresh.pcap");
        // --immediate-mode: deliver each packet at once instead of when the kernel's buffer block times out.
        Process tcpdump = new ProcessBuilder("tcpdump", "-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-w",
                file.toString(),
                "tcp port " + httpPort + " or tcp port " + closedPort).start();
        try {
            CountDownLatch listening = new CountDownLatch(1);
            CompletableFuture.runAsync(() -> {
                try (InputStream err = tcpdump.getErrorStream()) {
                    StringBuilder line = new StringBuilder();
                    int c;
                    while ((c = err.read()) >= 0) {
                        line.append((char) c);
                        if (line.indexOf("listening on") >= 0) {
                            listening.countDown();
                        }
                    }
                } catch (IOException e) {
                    // tcpdump ended
                }
            });
            assertThat(listening.await(20, TimeUnit.SECONDS)).as("tcpdump started listening").isTrue();
            for (String path : List.of("/", "/fail", "/fail/again")) {
                request(loopback, httpPort, path);
            }
            try (Socket refused = new Socket(loopback, closedPort)) {
                throw new AssertionError("port " + closedPort + " unexpectedly accepted");
            } catch (ConnectException expected) {
                // the RST is what the capture should show
            }
            waitForReset(file, closedPort);
        } finally {
            server.stop(0);
            tcpdump.destroy();
            if (!tcpdump.waitFor(10, TimeUnit.SECONDS)) {
                tcpdump.destroyForcibly();
            }
        }
        capture = file;
        return file;
    }

    /**
     * The refused connection's RST is the last packet the test makes: wait until tcpdump has written it (a quiet
     * period alone is not enough on a loaded machine, where tcpdump can lag by seconds), then a little more.
     */
    private static void waitForReset(Path file, int closedPort) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.size(file) > 24 && containsReset(file, closedPort)) {
                Thread.sleep(200);
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("tcpdump did not write the refused connection's RST within 30 s");
    }

    private static boolean containsReset(Path file, int port) throws IOException {
        try (CaptureReader reader = CaptureReader.open(file)) {
            boolean[] found = {false};
            reader.read(packet -> {
                found[0] = packet.isTcp() && packet.srcPort() == port && packet.hasFlags(Packet.RST);
                return !found[0];
            });
            return found[0];
        } catch (CaptureFormatException stillBeingWritten) {
            return false;
        }
    }

    private static void request(InetAddress address, int port, String path) throws IOException {
        try (Socket socket = new Socket(address, port)) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().readAllBytes();
        }
    }

    private static long tshark(Path file, String filter) throws Exception {
        Process process = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-d",
                "tcp.port==" + httpPort + ",http", "-Y", filter).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out.lines().filter(line -> !line.isBlank()).count();
    }

    @Test
    @DisplayName("on a fresh tcpdump capture, --fail-on http.5xx exits 1 and writes the reports")
    void failsOnServerErrors() throws Exception {
        Path file = freshCapture();
        Path json = dir.resolve("fresh.json");
        Path html = dir.resolve("fresh.html");

        Result result = run("analyze", "--fail-on", "http.5xx", "--json", json.toString(), "--html", html.toString(),
                file.toString());

        assertThat(result.status()).as(result.toString()).isEqualTo(1);
        assertThat(result.err()).contains("capture-packets: FAIL: http.5xx x2");
        assertThat(result.out()).startsWith("### Capture Packets: FAIL");
        JsonNode report = JSON.readTree(json.toFile());
        assertThat(report.get("verdict").asText()).isEqualTo("FAIL");
        assertThat(report.at("/stats/http/status/503").asLong()).isEqualTo(2);
        assertThat(report.at("/stats/http/status/200").asLong()).isEqualTo(1);
        assertThat(report.at("/stats/tcp/refused").asLong()).isEqualTo(1);
        assertThat(Files.readString(html)).contains("verdict-fail");
    }

    @Test
    @DisplayName("on the same fresh capture, the launcher's JSON counts 503s, requests and resets as tshark does")
    void countsWhatTsharkCounts() throws Exception {
        Needs.tools("tshark");
        Path file = freshCapture();
        Path json = dir.resolve("oracle.json");

        Result result = run("analyze", "-q", "--json", json.toString(), file.toString());

        assertThat(result.status()).as(result.toString()).isZero();
        JsonNode report = JSON.readTree(json.toFile());
        assertThat(tshark(file, "http.response.code==503")).as("tshark sees the two 503s the test sent").isEqualTo(2);
        assertThat(report.at("/stats/http/status/503").asLong()).isEqualTo(tshark(file, "http.response.code==503"));
        assertThat(report.at("/stats/http/requests").asLong()).isEqualTo(tshark(file, "http.request"));
        assertThat(report.at("/stats/tcp/resets").asLong()).isEqualTo(tshark(file, "tcp.flags.reset==1"));
    }

    @Test
    @DisplayName("without a failing rule the launcher exits 0; a rule that does not fire exits 0 too")
    void passesWithoutSelectedRules() throws Exception {
        Path file = freshCapture();

        assertThat(run("analyze", "-q", file.toString()).status()).isZero();
        assertThat(run("analyze", "-q", "--fail-on", "dns.nxdomain,tls.alert", file.toString()).status()).isZero();
        assertThat(run("analyze", "-q", "--fail-on", "tcp.refused", file.toString()).status()).isEqualTo(1);
    }

    @Test
    @DisplayName("usage and input errors exit 2 with the message on stderr")
    void inputErrors() throws Exception {
        Result missing = run("analyze", "missing.pcap");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("Capture file not found: missing.pcap");
        assertThat(missing.out()).isEmpty();

        Result rule = run("analyze", "--fail-on", "nope", CliRun.fixture().toString());
        assertThat(rule.status()).isEqualTo(2);
        assertThat(rule.err()).contains("Unknown rule 'nope'", "tcp.refused");
    }

    @Test
    @DisplayName("--help and --version work through the launcher")
    void helpAndVersion() throws Exception {
        Result help = run("analyze", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("Usage: capture-packets analyze", "tcp.refused");

        Result version = run("--version");
        assertThat(version.status()).isZero();
        assertThat(version.out()).startsWith("capture-packets ");
        assertThat(version.err()).isEmpty();
    }

    @Test
    @DisplayName("merge through the launcher writes a pcapng that tshark reads, with the interface names given")
    void mergeReadByTshark() throws Exception {
        Needs.tools("tshark");
        Path out = dir.resolve("merged.pcapng");
        Path copy = Files.copy(CliRun.fixture(), dir.resolve("other.pcap"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        Result result = run("merge", "-o", out.toString(), "--name", "default/api=" + CliRun.fixture(),
                CliRun.fixture().toString(), copy.toString());

        assertThat(result.status()).as(result.toString()).isZero();
        Process process = new ProcessBuilder("tshark", "-r", out.toString(), "-T", "fields", "-e",
                "frame.interface_name").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String names = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(names.lines().collect(Collectors.groupingBy(name -> name, Collectors.counting())))
                .containsOnly(Map.entry("default/api", 40L), Map.entry("other", 40L));
    }

    @Test
    @DisplayName("the CLI loads only the JDK, its own classes and Jackson's streaming core: no Kubernetes client")
    void loadsNoClusterClasses() throws Exception {
        Result result = run(Map.of("JAVA_OPTS", "-Xmx256m -Xlog:class+load=info:stderr"), LAUNCHER, "analyze", "-q",
                "--json", dir.resolve("classes.json").toString(), "--html", dir.resolve("classes.html").toString(),
                CliRun.fixture().toString());

        assertThat(result.status()).as(result.err()).isZero();
        List<String> foreign = result.err().lines()
                .filter(line -> line.contains("[class,load]"))
                .filter(line -> !line.contains("source: jrt:/") && !line.contains("shared objects file")
                        && !line.contains("__JVM_") && !line.contains("source: __"))
                .filter(line -> !line.contains(" io.github.capturepackets.")
                        && !line.contains(" com.fasterxml.jackson.core."))
                .filter(line -> !line.matches(".*\\] (java|jdk|sun)\\..*"))
                .collect(Collectors.toList());
        assertThat(foreign).isEmpty();
        assertThat(result.err()).doesNotContain("io.fabric8", "io.vertx", "com.fasterxml.jackson.databind");
    }

    @Test
    @DisplayName("a launcher in a tree that was never built says which command builds it")
    void notBuilt() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("unbuilt"));
        Path launcher = Files.copy(LAUNCHER, tree.resolve("capture-packets"));

        Result result = run(Map.of(), launcher, "--version");

        assertThat(result.status()).isEqualTo(2);
        assertThat(result.err()).contains("not built yet", "./mvnw -B -q -DskipTests package");
    }
}
