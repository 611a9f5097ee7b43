package io.github.capturepackets.analysis;

import java.nio.file.Path;
import java.util.List;

/** Development aid (not a test): prints "COUNTER frame [value]" for every counted frame of one capture. */
final class FrameDump {
    private FrameDump() {
    }

    public static void main(String[] args) {
        StringBuilder out = new StringBuilder();
        Analyzer.analyze(List.of(Path.of(args[0])), List.of(args[0]), AnalysisOptions.defaults(), List.of(),
                (counter, source, frame, value) -> out.append(counter).append(' ').append(frame)
                        .append(value != 0 ? " " + value : "").append('\n'));
        System.out.print(out);
    }
}
