package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code @CapturePackets} adds per test, measured on the real engine with local captures: a class of 50 tests
 * (one HTTP exchange each) without the annotation, then with it (retention ALWAYS: merge, analysis and three
 * reports per test; and ON_FAILURE: the passed tests' files deleted). Not part of the default run:
 *
 * <pre>./mvnw -B -q -pl junit-extension -am test -Dtest=PerTestOverheadBench -Dsurefire.failIfNoSpecifiedTests=false -Dcapturepackets.bench=true</pre>
 *
 * Results go to {@code junit-extension/target/bench/per-test-overhead.txt}.
 */
@RequiresLocalCapture
@EnabledIfSystemProperty(named = "capturepackets.bench", matches = "true")
class PerTestOverheadBench {
    private static final int TESTS = 50;
    private static final int ROUNDS = 5;

    @TempDir
    Path out;

    static class PlainTestCases {
        @RepeatedTest(TESTS)
        void exchange() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/x");
            }
        }
    }

    @CapturePackets
    static class CapturedTestCases {
        @RepeatedTest(TESTS)
        void exchange() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/x");
            }
        }
    }

    @Test
    @DisplayName("Per-test overhead of a class-level capture (50 tests, local mode)")
    void overhead() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int warmup = 0; warmup < 2; warmup++) {
            time(PlainTestCases.class, "ALWAYS");
            time(CapturedTestCases.class, "ALWAYS");
        }
        long[] plain = new long[ROUNDS];
        long[] always = new long[ROUNDS];
        long[] onFailure = new long[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            plain[i] = time(PlainTestCases.class, "ALWAYS");
            always[i] = time(CapturedTestCases.class, "ALWAYS");
            onFailure[i] = time(CapturedTestCases.class, "ON_FAILURE");
        }
        long plainMedian = median(plain);
        lines.add(String.format("tests per class: %d, rounds: %d (medians), %d cores", TESTS, ROUNDS,
                Runtime.getRuntime().availableProcessors()));
        lines.add(String.format("no capture:             %6.1f ms per class, %6.2f ms per test", plainMedian / 1e6,
                plainMedian / 1e6 / TESTS));
        lines.add(line("capture, ALWAYS:", median(always), plainMedian));
        lines.add(line("capture, ON_FAILURE:", median(onFailure), plainMedian));
        Path report = Path.of("target", "bench", "per-test-overhead.txt");
        Files.createDirectories(report.getParent());
        Files.write(report, lines);
        lines.forEach(System.out::println);
        assertThat(median(always)).isGreaterThan(plainMedian);
    }

    private static String line(String label, long captured, long plain) {
        return String.format("%-23s %6.1f ms per class, %6.2f ms per test, overhead %6.2f ms per test", label,
                captured / 1e6, captured / 1e6 / TESTS, (captured - plain) / 1e6 / TESTS);
    }

    private long time(Class<?> fixture, String retention) {
        long start = System.nanoTime();
        var results = Fixtures.run(out, fixture, Map.of("capturepackets.retention", retention));
        long elapsed = System.nanoTime() - start;
        results.testEvents().assertStatistics(s -> s.succeeded(TESTS));
        return elapsed;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
