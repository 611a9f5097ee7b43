package io.github.capturepackets.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import io.github.capturepackets.testing.Needs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the external tools the tests use as capture source and oracle (tcpdump, tshark, editcap, mergecap). */
final class Tools {

    private Tools() {}

    /** Skips (reported, with a {@code needs TOOL:} reason) unless every tool is on the PATH. */
    static void assumeTools(String... tools) {
        Needs.tools(tools);
    }

    static void assumeCanCapture() {
        Needs.tools("tcpdump");
        Needs.root("capturing with tcpdump");
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
