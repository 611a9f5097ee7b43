package io.github.capturepackets.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Writes {@code target/skipped-classes/CLASS.txt} (the reason) for each test class JUnit aborted as a whole, which
 * is what an assumption failing in {@code @BeforeAll} does.
 *
 * <p>Surefire 3.5.6 reports such a class as {@code tests="0"} with no test case and drops the reason, so the class
 * would vanish from the count. {@code tools/test-summary.py} reads these files and counts each class as one skip
 * with its reason. Registered through {@code META-INF/services}, so it is active wherever the core's test classes
 * (or test-jar) are on the class path.
 */
public final class SkippedClassLog implements TestExecutionListener {
  /** Relative to the module directory, next to Surefire's and Failsafe's report directories. */
  public static final String DIRECTORY = "target/skipped-classes";

  private final Path dir;

  /** The instance the launcher creates: records go to the module's (Surefire sets {@code basedir}). */
  public SkippedClassLog() {
    this(Path.of(System.getProperty("basedir", ".")).resolve(DIRECTORY));
  }

  SkippedClassLog(Path dir) {
    this.dir = dir;
  }

  @Override
  public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
    if (!identifier.isContainer() || !(identifier.getSource().orElse(null) instanceof ClassSource source)) {
      return;
    }
    Path record = dir.resolve(source.getClassName() + ".txt");
    try {
      if (result.getStatus() != TestExecutionResult.Status.ABORTED) {
        Files.deleteIfExists(record); // ran this time: an earlier run's record no longer applies
        return;
      }
      String reason = result.getThrowable().map(Throwable::getMessage).orElse(null);
      Files.createDirectories(dir);
      Files.writeString(record, reason == null || reason.isBlank() ? "aborted without a reason" : reason,
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the skipped class " + source.getClassName() + " in " + dir, e);
    }
  }
}
