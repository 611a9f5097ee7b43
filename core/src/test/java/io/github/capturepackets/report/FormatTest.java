package io.github.capturepackets.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Report numbers are written exactly as String.format writes them, without its start-up cost")
class FormatTest {

    @Test
    @DisplayName("count groups thousands like %,d for every sign and length, the extremes included")
    void count() {
        long[] edges = {0, 1, -1, 999, 1000, -1000, 999_999, 1_000_000, -1_234_567, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long value : edges) {
            assertThat(Format.count(value)).isEqualTo(String.format(Locale.ROOT, "%,d", value));
        }
        SplittableRandom random = new SplittableRandom(20261121);
        for (int i = 0; i < 200_000; i++) {
            long value = random.nextLong() >> random.nextInt(64);
            assertThat(Format.count(value)).isEqualTo(String.format(Locale.ROOT, "%,d", value));
        }
    }

    @Test
    @DisplayName("fixed rounds half up like %.Nf, on ties, binary fractions, negatives that round to zero and big values")
    void fixed() {
        double[] edges = {0.0, 0.5, 1.5, 2.5, 0.05, 0.005, 0.0005, 1.0005, 2.675, 1.005, 999.9995, 0.1 + 0.2, 9.95,
            99.95, 1e-9, -1e-9, -0.0004, -0.5, -2.5, 123_456_789.125, 1e17, 4.35, 0.125};
        for (double value : edges) {
            for (int decimals = 0; decimals <= 3; decimals++) {
                assertThat(Format.fixed(value, decimals)).as("%s with %d decimals", value, decimals)
                        .isEqualTo(String.format(Locale.ROOT, "%." + decimals + "f", value));
            }
        }
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            // Durations in milliseconds (what the reports format), ties at the last decimal, and plain doubles.
            double value = switch (i % 3) {
                case 0 -> random.nextLong(-10_000_000_000L, 10_000_000_000L) / 1e6;
                case 1 -> random.nextInt(-2_000_000, 2_000_000) / 1000.0 + 0.0005;
                default -> random.nextDouble() * 1000;
            };
            int decimals = i % 4;
            assertThat(Format.fixed(value, decimals)).as("%s with %d decimals", value, decimals)
                    .isEqualTo(String.format(Locale.ROOT, "%." + decimals + "f", value));
        }
    }
}
