package io.github.capturepackets.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The outcome of one command: exit status and what went to stdout and stderr. */
record CliRun(int status, String out, String err, byte[] outBytes) {

    /** Runs {@link Main} in this JVM, capturing its streams. */
    static CliRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, o, e);
        }
        return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                out.toByteArray());
    }

    /** The committed capture: real tcpdump on loopback with HTTP 200/404/501, a refused port, ICMP unreachable. */
    static Path fixture() {
        return Path.of("src", "test", "resources", "io", "github", "capturepackets", "cli", "loopback-http.pcap")
                .toAbsolutePath();
    }

    @Override
    public String toString() {
        return "exit " + status + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
}
