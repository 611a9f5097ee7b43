package io.github.capturepackets.capture;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows tcpdump's standard error: the "listening on" line says the capture runs, the closing lines carry its
 * counters, anything else is kept (bounded) to explain failures in tcpdump's own words.
 */
final class TcpdumpStderr {
    static final String PID_PREFIX = "capture-packets-pid ";
    private static final Pattern COUNTER = Pattern.compile(
            "^(\\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)$");
    /**
     * What tcpdump prints on SIGUSR1 without stopping: one line, counters since it started, for example
     * {@code tcpdump: 12 packets captured, 15 packets received by filter, 3 packets dropped by kernel}, with
     * {@code , N packets dropped by interface} appended when the interface counted drops.
     */
    private static final Pattern STATISTICS = Pattern.compile("^(?:\\S+:)?\\s*(\\d+) packets? captured,\\s*(\\d+) "
            + "packets? received by filter,\\s*(\\d+) packets? dropped by kernel(?:,\\s*(\\d+) packets? dropped by interface)?$");
    private static final int KEPT_LINES = 40;
    /** Readings kept for slices that are still open (each looks up the first reading after its request). */
    private static final int KEPT_READINGS = 256;

    private final Deque<String> lines = new ArrayDeque<>();
    private long captured = -1;
    private long received = -1;
    private long dropped = -1;
    private final NavigableMap<Long, TcpdumpCounters> readings = new TreeMap<>();
    private long readingCount;
    private long lastReadingNanos;
    private boolean listening;
    private boolean ended;
    private String pid;
    private String spool;
    private String spoolFull;

    /** Reads the stream to its end; returns when tcpdump closed its standard error. */
    void consume(InputStream in) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                accept(line.strip());
            }
        } catch (IOException e) {
            accept("(reading tcpdump's standard error failed: " + e.getMessage() + ")");
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    synchronized void accept(String line) {
        if (line.isEmpty()) {
            return;
        }
        if (line.startsWith(PID_PREFIX)) {
            pid = line.substring(PID_PREFIX.length()).strip();
            notifyAll();
            return;
        }
        if (line.startsWith(TcpdumpCommand.SPOOL_PREFIX)) {
            spool = line.substring(TcpdumpCommand.SPOOL_PREFIX.length()).strip();
            return;
        }
        if (line.startsWith(TcpdumpCommand.SPOOL_FULL_PREFIX)) {
            spoolFull = line.substring(TcpdumpCommand.SPOOL_FULL_PREFIX.length()).strip();
            return;
        }
        Matcher info = STATISTICS.matcher(line);
        if (info.matches()) {
            long interfaceDrops = info.group(4) == null ? 0 : Long.parseLong(info.group(4));
            readings.put(++readingCount, new TcpdumpCounters(Long.parseLong(info.group(1)),
                    Long.parseLong(info.group(2)), Long.parseLong(info.group(3)) + interfaceDrops));
            lastReadingNanos = System.nanoTime();
            if (readings.size() > KEPT_READINGS) {
                readings.pollFirstEntry();
            }
            notifyAll();
            return;
        }
        Matcher m = COUNTER.matcher(line);
        if (m.matches()) {
            long value = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "captured" -> captured = value;
                case "received by filter" -> received = value;
                case "dropped by kernel" -> dropped = value;
                default -> {
                    // "dropped by interface" is folded into the kernel drops: both are packets lost before us.
                    dropped = Math.max(dropped, 0) + value;
                }
            }
            notifyAll();
            return;
        }
        if (line.startsWith("tcpdump: listening on") || line.startsWith("listening on")) {
            listening = true;
        }
        lines.addLast(line);
        if (lines.size() > KEPT_LINES) {
            lines.removeFirst();
        }
        notifyAll();
    }

    /**
     * Waits until tcpdump says it listens, its standard error ends, or the timeout passes.
     *
     * @return true when listening
     */
    synchronized boolean awaitListening(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!listening && !ended) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        return listening;
    }

    /** Waits until the closing counters were printed or standard error ended. */
    synchronized void awaitEnd(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!ended) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
    }

    synchronized String awaitPid(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (pid == null && !ended) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        return pid;
    }

    /** How many statistics readings (SIGUSR1 lines) arrived so far: a reading requested now gets a later number. */
    synchronized long readings() {
        return readingCount;
    }

    /**
     * The first statistics reading numbered above {@code after}, waiting for it up to the timeout; after tcpdump
     * ended, its closing counters (they are at least as late). Null when neither arrived in time.
     */
    synchronized TcpdumpCounters awaitReading(long after, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            Map.Entry<Long, TcpdumpCounters> next = readings.higherEntry(after);
            if (next != null) {
                return next.getValue();
            }
            if (ended) {
                return counters();
            }
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return null;
            }
            wait(left);
        }
    }

    /** The latest reading if it arrived within {@code maxAgeMillis}, else null. */
    synchronized TcpdumpCounters recentReading(long maxAgeMillis) {
        if (readings.isEmpty() || System.nanoTime() - lastReadingNanos > maxAgeMillis * 1_000_000L) {
            return null;
        }
        return readings.lastEntry().getValue();
    }

    /** The spool directory in the capture container, or null when tcpdump streams directly. */
    synchronized String spool() {
        return spool;
    }

    /** How many spool files were waiting when the spool's bound stopped the capture, or null. */
    synchronized String spoolFull() {
        return spoolFull;
    }

    synchronized boolean listening() {
        return listening;
    }

    synchronized boolean ended() {
        return ended;
    }

    /** The counters, or null when tcpdump did not print all three (killed, or the stream broke). */
    synchronized TcpdumpCounters counters() {
        if (captured < 0 || received < 0 || dropped < 0) {
            return null;
        }
        return new TcpdumpCounters(captured, received, dropped);
    }

    /** tcpdump's messages other than the counters (the last lines), for error reports. */
    synchronized String text() {
        List<String> kept = new ArrayList<>(lines);
        kept.removeIf(l -> l.startsWith("tcpdump: listening on") || l.startsWith("listening on"));
        return String.join(" / ", kept);
    }
}
