package io.github.capturepackets.capture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The tcpdump command line, the same in every mode. */
final class TcpdumpCommand {
    /**
     * The snap length for "whole packets": the largest frame Linux builds without BIG TCP (a 64 KiB GSO/GRO packet
     * on lo or a veth, plus the link-layer header; 65,549 bytes were the largest seen on lo). In immediate mode the
     * kernel ring is cut into frames of the snap length, so tcpdump's own default of 262144 would hold a quarter
     * as many packets in the same memory. A longer packet is cut here, with its original length kept.
     */
    static final int WHOLE_PACKET_SNAP = 65600;

    private TcpdumpCommand() {
    }

    /**
     * {@code tcpdump -Z root --immediate-mode -U -B KIB -w - -i IFACE -s SNAP [FILTER]}: root so Debian's tcpdump
     * keeps its privileges, immediate mode and per-packet flushing so a slice's last packets arrive at once. In
     * immediate mode the kernel ring is cut into frames of the snap length ({@link #WHOLE_PACKET_SNAP} for whole packets), so {@code -B}
     * decides how many packets a burst may hold before the kernel drops (see docs/capture-engine.md).
     */
    static List<String> tcpdump(String tcpdump, String captureInterface, int snapLength, int bufferKib, String filter) {
        List<String> command = new ArrayList<>(List.of(tcpdump, "-Z", "root", "--immediate-mode", "-U",
                "-B", Integer.toString(bufferKib), "-w", "-", "-i", captureInterface));
        command.add("-s");
        command.add(Integer.toString(snapLength > 0 ? snapLength : WHOLE_PACKET_SNAP));
        if (!filter.isEmpty()) {
            command.add(filter);
        }
        return command;
    }

    /** tcpdump starts a new spool file after this many million bytes ({@code -C}). */
    static final int SPOOL_FILE_MB = 16;
    static final String SPOOL_PREFIX = "capture-packets-spool ";
    static final String SPOOL_FULL_PREFIX = "capture-packets-spool-full ";
    /** Growth of the spool between two looks (about 50 ms) that counts as a burst. */
    static final int BURST_BYTES = 2 << 20;
    /** Looks the streamer waits through during a burst before it sends a chunk anyway (about one second). */
    static final int BURST_PAUSES = 20;
    /** The most one dd sends, so the streamer can pause between chunks. */
    static final int CHUNK_BYTES = 8 << 20;
    /** The spool's bound without a byte limit: 64 files of 16 MB, about 1 GB of backlog on the node's disk. */
    static final int DEFAULT_SPOOL_FILES = 64;

    /** The spool's bound in files: the byte limit's worth (plus the file being written), else the default. */
    static int spoolFiles(CaptureLimits limits) {
        if (limits.maxBytesPerPod() <= 0) {
            return DEFAULT_SPOOL_FILES;
        }
        long files = limits.maxBytesPerPod() / (SPOOL_FILE_MB * 1_000_000L) + 2;
        return (int) Math.min(Integer.MAX_VALUE, files);
    }

    /**
     * The shell line the cluster modes run through {@code pods/exec}.
     *
     * <p>tcpdump writes into a spool in the capture container ({@code /tmp/capture-packets-spool-PID}, files of
     * {@value #SPOOL_FILE_MB} MB by {@code -C}), and the shell streams the spool out behind it with {@code dd},
     * deleting each file once sent and skipping the pcap header of every file after the first, so standard
     * output is one pcap stream. tcpdump therefore never waits for the API server (about 12 MB/s through the
     * exec stream on a 2-core node; a burst above that filled the kernel ring and was dropped), and the disk
     * holds only the backlog. When the backlog passes {@code spoolFiles} files the capture stops and says so.
     * A container without a writable {@code /tmp}, {@code stat -c} or {@code dd iflag=skip_bytes} streams
     * {@code -w -} directly, as before.
     *
     * <p>tcpdump runs in the background and its own PID is printed first on standard error, so SIGTERM and SIGUSR1
     * reach tcpdump itself (GNU timeout would die of a SIGUSR1 and orphan it). A watchdog sends SIGTERM at the hard
     * limit even when our process is gone, and ends within a second of tcpdump. The shell ends with tcpdump's exit
     * status after the spool is drained. Needs only {@code sh}, {@code sleep}, {@code kill} and tcpdump.
     */
    static String shellCommand(Duration limit, List<String> tcpdumpCommand, int spoolFiles) {
        return shellCommand(limit, tcpdumpCommand, spoolFiles, "/tmp");
    }

    /** As {@link #shellCommand(Duration, List, int)}, with the spool under {@code spoolBase} (tests). */
    static String shellCommand(Duration limit, List<String> tcpdumpCommand, int spoolFiles, String spoolBase) {
        String pipe = shellLine(tcpdumpCommand);
        String spool = pipe.replaceFirst(" -w - ", " -w \"\\$f\" -C " + SPOOL_FILE_MB + " ");
        if (spool.equals(pipe)) {
            throw new IllegalArgumentException("the tcpdump command must write to standard output (-w -)");
        }
        return "d=" + shellQuote(spoolBase) + "/capture-packets-spool-$$; f=$d/c.pcap; "
                + "if mkdir -p $d 2>/dev/null && [ -w $d ] && stat -c %s $d >/dev/null 2>&1 "
                + "&& dd if=/dev/null iflag=skip_bytes,count_bytes count=0 2>/dev/null; then "
                + spool + " & p=$!; echo \"" + SPOOL_PREFIX + "$d\" >&2; "
                + "else rm -rf $d 2>/dev/null; d=; " + pipe + " & p=$!; fi; "
                + "echo \"" + TcpdumpStderr.PID_PREFIX + "$p\" >&2; "
                // The watchdog: the hard limit, and the spool's bound.
                + "(t=0; while [ $t -lt " + seconds(limit) + " ] && kill -0 $p 2>/dev/null; do "
                + "sleep 1 </dev/null >/dev/null 2>&1; t=$((t+1)); "
                + "if [ -n \"$d\" ]; then set -- $d/c.pcap*; if [ $# -gt " + spoolFiles + " ]; then "
                + "echo \"" + SPOOL_FULL_PREFIX + "$#\" >&2; break; fi; fi; done; "
                + "kill -TERM $p 2>/dev/null) </dev/null >/dev/null & w=$!; "
                // The streamer: what tcpdump wrote, in order, once; a file is final when the next one exists.
                // While the spool grows by more than 2 MB between two looks (a burst), the streamer waits, up to a
                // second at a time: the stream's readers (API server, kubelet, our JVM) would take the CPU tcpdump
                // needs to empty its ring. It sends at most 8 MB per dd, so it can pause again between them.
                + "if [ -n \"$d\" ]; then c=$f; i=0; o=0; q=-1; h=0; while :; do "
                + "a=1; kill -0 $p 2>/dev/null || a=0; x=$f$((i+1)); z=0; [ -e $x ] && z=1; "
                + "n=$(stat -c %s $c 2>/dev/null || echo 0); "
                + "if [ $n -gt $o ]; then "
                + "if [ $a = 1 ] && [ $z = 0 ] && [ $q -ge 0 ] && [ $((n-q)) -gt " + BURST_BYTES + " ] "
                + "&& [ $h -lt " + BURST_PAUSES + " ]; then q=$n; h=$((h+1)); sleep 0.05; "
                + "else q=$n; h=0; k=$((n-o)); [ $k -gt " + CHUNK_BYTES + " ] && k=" + CHUNK_BYTES + "; "
                + "dd if=$c bs=1M iflag=skip_bytes,count_bytes skip=$o count=$k "
                + "2>/dev/null || { kill -TERM $p 2>/dev/null; break; }; o=$((o+k)); fi; "
                + "elif [ $z = 1 ]; then rm -f $c; i=$((i+1)); c=$x; o=24; q=-1; "
                + "elif [ $a = 0 ]; then break; "
                + "else q=$n; sleep 0.05; fi; done; rm -rf $d; fi; "
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
