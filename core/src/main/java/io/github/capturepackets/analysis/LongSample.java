package io.github.capturepackets.analysis;

import java.time.Duration;
import java.util.Arrays;

/**
 * Durations (nanoseconds) for a median and a maximum in bounded memory: all values up to {@link #CAPACITY}, then a
 * deterministic reservoir sample, so the median stays representative without growing with the capture.
 */
final class LongSample {
    static final int CAPACITY = 1 << 16;

    private long[] values = new long[64];
    private int size;
    private long seen;
    private long max = Long.MIN_VALUE;
    private long random = 0x2545F4914F6CDD1DL;

    void add(long value) {
        seen++;
        if (value > max) {
            max = value;
        }
        if (size < CAPACITY) {
            if (size == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = value;
            return;
        }
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        long slot = Long.remainderUnsigned(random, seen);
        if (slot < CAPACITY) {
            values[(int) slot] = value;
        }
    }

    long count() {
        return seen;
    }

    Duration median() {
        if (size == 0) {
            return null;
        }
        long[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        return Duration.ofNanos(sorted[(size - 1) / 2]);
    }

    Duration max() {
        return size == 0 ? null : Duration.ofNanos(max);
    }
}
