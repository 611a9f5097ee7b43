package io.github.capturepackets.junit;

import io.github.capturepackets.analysis.AnalysisReport;
import java.nio.file.Path;

/**
 * The running test's capture, injected as a test method parameter when {@link CapturePackets} applies to the test.
 */
public interface PacketCapture {

    /** Puts a named point on the capture timeline ({@code mark("checkout submitted")}); it appears in the report. */
    void mark(String label);

    /**
     * Analyzes everything this test captured so far, with the test's {@code failOn} rules, so the test can assert
     * on the verdicts. The capture goes on.
     */
    AnalysisReport analyzeSoFar();

    /** This test's output directory ({@code target/capture-packets/<class>/<method>}). */
    Path directory();
}
