package io.github.capturepackets.analysis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Development aid and timing harness (not a test): analyzes the captures given as arguments and prints the stats,
 * findings and wall time of each run. {@code -Drepeat=N} runs N times to see warmed-up timings.
 */
final class AnalyzeMain {
    private AnalyzeMain() {
    }

    public static void main(String[] args) {
        List<Path> files = new ArrayList<>();
        for (String a : args) {
            files.add(Path.of(a));
        }
        int repeat = Integer.getInteger("repeat", 1);
        AnalysisReport report = null;
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            report = Analyzer.analyze(files, AnalysisOptions.defaults());
            System.out.printf("run %d: %.3f s, %d packets%n", i, (System.nanoTime() - t0) / 1e9, report.packets());
        }
        System.out.println(report.stats());
        report.verdicts().forEach(System.out::println);
        System.out.println("verdict " + report.verdict() + " complete " + report.complete() + " flows "
                + report.flowCount() + " " + report.problems());
        if (Boolean.getBoolean("flows")) {
            report.flows().forEach(System.out::println);
        }
    }
}
