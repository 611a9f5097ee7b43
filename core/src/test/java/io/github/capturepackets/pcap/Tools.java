package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the external tools the tests use as capture source and oracle (tcpdump, tshark, editcap, mergecap). */
final class Tools {

    private Tools() {}

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static void assumeTools(String... tools) {
        for (String tool : tools) {
            assumeTrue(onPath(tool), tool + " is not installed: install it (apt-get install tcpdump tshark) to run this"
                    + " test; .ci/run does");
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static void assumeCanCapture() {
        assumeTools("tcpdump");
        assumeTrue(isRoot(), "capturing with tcpdump needs root (or CAP_NET_RAW); run the tests as root to include it");
    }

    /** Runs a command, fails the test on a non-zero exit, returns stdout. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<byte[]> err = drain(process.getErrorStream());
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        String stderr = new String(err.join(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("exit status of %s (stderr: %s)", command, stderr).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                in.transferTo(bytes);
            } catch (IOException e) {
                // The process went away; what was read is all there is.
            }
            return bytes.toByteArray();
        });
    }
}
