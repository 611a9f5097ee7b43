package io.github.capturepackets.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.OutputDirectoryCreator;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * FailOnPurposeTest is opt-in (it fails by design), so the default suite never ran it and nothing showed that it
 * fails, nor how. This runs it on the real Jupiter engine, once with its property and once without.
 */
@DisplayName("The opt-in FailOnPurposeTest demo")
class FailOnPurposeRunTest {
    private static final String PROPERTY = "examples.failOnPurpose";

    @TempDir
    Path dir;

    /** Runs FailOnPurposeTest with {@code -Dexamples.failOnPurpose=value} (or without it, for null). */
    private EngineExecutionResults run(String value) {
        // @EnabledIfSystemProperty reads the JVM's system properties: set it for the run, then put it back.
        String previous = System.getProperty(PROPERTY);
        try {
            if (value == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, value);
            }
            return EngineTestKit.engine("junit-jupiter")
                    .selectors(selectClass(FailOnPurposeTest.class))
                    .configurationParameters(Map.of("capturepackets.outputDir", outputDir().toString(),
                            "capturepackets.stdoutAttachments", "false"))
                    .outputDirectoryCreator(new Creator(dir.resolve("junit")))
                    .execute();
        } finally {
            if (previous == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, previous);
            }
        }
    }

    private Path outputDir() {
        return dir.resolve("capture-packets");
    }

    @Test
    @DisplayName("with -Dexamples.failOnPurpose=true it fails on the 500, naming http.5xx and the kept summary")
    void failsWithItsProperty() throws IOException {
        EngineExecutionResults results = run("true");

        Path kept = outputDir().resolve(FailOnPurposeTest.class.getName()).resolve("checkout");
        results.testEvents().assertStatistics(s -> s.started(1).failed(1).succeeded(0));
        results.testEvents().assertThatEvents().haveExactly(1, event(test("checkout"), finishedWithFailure(
                instanceOf(AssertionError.class),
                message(m -> m.contains("http.5xx: 1 occurrence, first at frame") && m.contains("500")
                        && m.contains(kept.resolve("summary.md").toString())))));
        // Retention ON_FAILURE: the failed test keeps its capture and reports.
        for (String file : new String[] {"capture.pcapng", "verdicts.json", "summary.md", "report.html"}) {
            assertThat(kept.resolve(file)).isRegularFile();
        }
        assertThat(Files.readString(kept.resolve("verdicts.json"))).contains("\"verdict\"", "\"FAIL\"", "http.5xx");
    }

    @Test
    @DisplayName("without the property it is skipped with the reason that says how to run it")
    void skippedWithoutIt() {
        EngineExecutionResults results = run(null);

        results.testEvents().assertStatistics(s -> s.started(0));
        results.containerEvents().assertThatEvents().haveExactly(1, event(container(FailOnPurposeTest.class),
                skippedWithReason(r -> r.contains("fails on purpose; run with -Dexamples.failOnPurpose=true"))));
    }

    private record Creator(Path root) implements OutputDirectoryCreator {
        @Override
        public Path getRootDirectory() {
            return root;
        }

        @Override
        public Path createOutputDirectory(TestDescriptor descriptor) throws IOException {
            return Files.createDirectories(root.resolve(Integer.toHexString(descriptor.getUniqueId().hashCode())));
        }
    }
}
