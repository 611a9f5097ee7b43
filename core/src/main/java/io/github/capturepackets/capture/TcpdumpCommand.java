package io.github.capturepackets.capture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The tcpdump command line, the same in every mode. */
final class TcpdumpCommand {
    private TcpdumpCommand() {
    }

    /**
     * {@code tcpdump -Z root --immediate-mode -U -B KIB -w - -i IFACE [-s SNAP] [FILTER]}: root so Debian's tcpdump
     * keeps its privileges, immediate mode and per-packet flushing so a slice's last packets arrive at once. In
     * immediate mode the kernel ring is cut into frames of the snap length (256 KiB by default), so {@code -B}
     * decides how many packets a burst may hold before the kernel drops (see docs/capture-engine.md).
     */
    static List<String> tcpdump(String tcpdump, String captureInterface, int snapLength, int bufferKib, String filter) {
        List<String> command = new ArrayList<>(List.of(tcpdump, "-Z", "root", "--immediate-mode", "-U",
                "-B", Integer.toString(bufferKib), "-w", "-", "-i", captureInterface));
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
     * Wraps a command in {@code timeout}, the hard limit that holds even when our process is gone (local mode, where
     * tcpdump is found among timeout's children to be signalled). No {@code -k}: GNU timeout escalates a second
     * SIGTERM (ours, arriving after its own) to SIGKILL, which loses the counters.
     */
    static List<String> withTimeLimit(Duration limit, List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("timeout", "-s", "TERM", Long.toString(seconds(limit))));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * The shell line the cluster modes run through {@code pods/exec}: tcpdump in the background, its own PID printed
     * first on standard error (so SIGTERM and SIGUSR1 reach tcpdump itself: GNU timeout would die of a SIGUSR1 and
     * orphan it), a watchdog that sends SIGTERM at the hard limit even when our process is gone, and the shell
     * waiting for tcpdump so the exec ends with tcpdump's exit status. The watchdog has no standard streams, so it
     * never holds the exec open. Needs only {@code sh}, {@code sleep}, {@code kill} and tcpdump.
     */
    static String shellCommand(Duration limit, List<String> tcpdumpCommand) {
        return shellLine(tcpdumpCommand) + " & p=$!; echo \"" + TcpdumpStderr.PID_PREFIX + "$p\" >&2; "
                + "(sleep " + seconds(limit) + "; kill -TERM $p) </dev/null >/dev/null 2>&1 & w=$!; "
                + "wait $p; s=$?; kill $w 2>/dev/null; exit $s";
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
