package io.github.capturepackets.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs the real JUnit launcher on nested fixture classes with only this listener registered. */
@DisplayName("SkippedClassLog records a class skipped in @BeforeAll with its reason, and only such a class")
class SkippedClassLogTest {
  @TempDir Path dir;

  static volatile boolean toolPresent;

  @Test
  @DisplayName("A class whose @BeforeAll assumption fails gets a record with the Needs reason; once it runs, the "
      + "record is gone")
  void recordsAndForgets() throws Exception {
    toolPresent = false;
    run(NeedsToolTestCases.class);
    Path record = dir.resolve(NeedsToolTestCases.class.getName() + ".txt");
    assertThat(record).hasContent("Assumption failed: needs tshark: fixture: hidden");

    toolPresent = true;
    run(NeedsToolTestCases.class);
    assertThat(record).doesNotExist();
  }

  @Test
  @DisplayName("A class with a failing test or a skipped method gets no record: Surefire reports those itself")
  void noRecordForFailuresOrMethodSkips() throws Exception {
    run(FailingAndSkippingTestCases.class);
    assertThat(dir).isEmptyDirectory();
  }

  private void run(Class<?> testClass) {
    LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false)
            .addTestExecutionListeners(new SkippedClassLog(dir)).build())
        .execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build());
  }

  static class NeedsToolTestCases {
    @BeforeAll
    static void needs() {
      Needs.that(toolPresent, "tshark", "fixture: hidden");
    }

    @Test
    void runs() {}
  }

  static class FailingAndSkippingTestCases {
    @Test
    void fails() {
      throw new AssertionError("fails on purpose");
    }

    @Test
    void skips() {
      Needs.that(false, "tshark", "fixture: hidden");
    }
  }
}
