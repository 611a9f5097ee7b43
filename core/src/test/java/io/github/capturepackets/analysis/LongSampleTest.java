package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Medians come from selection and equal the sorted array's middle element")
class LongSampleTest {

    @Test
    @DisplayName("select(a, k) returns what sorting puts at k, for 20,000 random arrays with and without duplicates")
    void selectionMatchesSorting() {
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 20_000; round++) {
            int n = 1 + random.nextInt(200);
            long[] a = new long[n];
            int range = random.nextBoolean() ? 5 : Integer.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                a[i] = random.nextInt(range) - (range == 5 ? 2 : 0);
            }
            long[] sorted = a.clone();
            Arrays.sort(sorted);
            int k = random.nextInt(n);
            assertThat(LongSample.select(a.clone(), k)).as("k=%d of %s", k, Arrays.toString(a)).isEqualTo(sorted[k]);
        }
    }

    @Test
    @DisplayName("The median of a full reservoir (65,536 values) is the sorted middle one")
    void fullSample() {
        LongSample sample = new LongSample();
        SplittableRandom random = new SplittableRandom(7);
        long[] all = new long[LongSample.CAPACITY];
        for (int i = 0; i < all.length; i++) {
            all[i] = random.nextLong(1_000_000_000L);
            sample.add(all[i]);
        }
        Arrays.sort(all);
        assertThat(sample.median().toNanos()).isEqualTo(all[(all.length - 1) / 2]);
        assertThat(sample.max().toNanos()).isEqualTo(all[all.length - 1]);
    }

    @Test
    @DisplayName("Past the reservoir every value has the same chance: the median of 0..N-1 in order stays near N/2")
    void sampleStaysUniform() {
        for (int n : new int[] {LongSample.CAPACITY * 3 / 2, LongSample.CAPACITY * 16}) {
            LongSample sample = new LongSample();
            for (long v = 0; v < n; v++) {
                sample.add(v);
            }
            // A sample biased towards early or late values (or one that stopped replacing) misses by far more.
            assertThat(sample.median().toNanos()).as("median of 0..%d", n - 1)
                    .isBetween((long) (n * 0.49), (long) (n * 0.51));
            assertThat(sample.max().toNanos()).isEqualTo(n - 1);
            assertThat(sample.count()).isEqualTo(n);
        }
    }
}
