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
        // Uniform in [0, seen) as the high bits of a 63-bit random number times seen (Lemire's multiply-shift):
        // a multiplication, where remainderUnsigned was a 64-bit division for every value past the reservoir.
        long r = random >>> 1;
        long slot = Math.multiplyHigh(r, seen) << 1 | (r * seen) >>> 63;
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
        // The element a sort would put at (size - 1) / 2, found by selection: the medians are computed once, at
        // the end of a run, by code the JIT has not compiled, where sorting 65,536 values cost ~5 ms each.
        return Duration.ofNanos(select(Arrays.copyOf(values, size), (size - 1) / 2));
    }

    /** The k-th smallest value (0-based) of {@code a}, which it reorders (Hoare's quickselect). */
    static long select(long[] a, int k) {
        int lo = 0;
        int hi = a.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long pivot = medianOf3(a[lo], a[mid], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    private static long medianOf3(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    Duration max() {
        return size == 0 ? null : Duration.ofNanos(max);
    }
}
