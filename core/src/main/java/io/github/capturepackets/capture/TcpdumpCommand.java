package io.github.capturepackets.capture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The tcpdump command line, the same in every mode. */
final class TcpdumpCommand {
    private TcpdumpCommand() {
    }

    /**
     * {@code tcpdump -Z root --immediate-mode -U -w - -i IFACE [-s SNAP] [FILTER]}: root so Debian's tcpdump keeps
     * its privileges, immediate mode and per-packet flushing so a short capture loses nothing in buffers.
     */
    static List<String> tcpdump(String tcpdump, String captureInterface, int snapLength, String filter) {
        List<String> command = new ArrayList<>(List.of(tcpdump, "-Z", "root", "--immediate-mode", "-U", "-w", "-",
                "-i", captureInterface));
        if (snapLength > 0) {
            command.add("-s");
            command.add(Integer.toString(snapLength));
        }
        if (!filter.isEmpty()) {
            command.add(filter);
        }
        return command;
    }

    /**
     * Wraps a command in {@code timeout}, the hard limit that holds even when our process is gone. No {@code -k}:
     * GNU timeout escalates a second SIGTERM (ours, arriving after its own) to SIGKILL, which loses the counters;
     * a tcpdump that ignores SIGTERM is killed by our own fallback or ends with its container.
     */
    static List<String> withTimeLimit(Duration limit, List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("timeout", "-s", "TERM", Long.toString(seconds(limit))));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Whole seconds, rounded up, at least one. */
    static long seconds(Duration duration) {
        long seconds = duration.getSeconds() + (duration.getNano() > 0 ? 1 : 0);
        return Math.max(1, seconds);
    }

    /** Quotes one argument for a POSIX shell. */
    static String shellQuote(String argument) {
        if (argument.matches("[A-Za-z0-9_./:=@%+,-]+")) {
            return argument;
        }
        return "'" + argument.replace("'", "'\\''") + "'";
    }

    static String shellLine(List<String> command) {
        List<String> quoted = new ArrayList<>();
        for (String argument : command) {
            quoted.add(shellQuote(argument));
        }
        return String.join(" ", quoted);
    }
}
