package io.github.capturepackets.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The one way a test skips itself because something it needs is missing here.
 *
 * <p>Every reason starts with {@code "needs WHAT: "}, WHAT being one word from a small vocabulary ({@code tshark},
 * {@code tcpdump}, {@code capinfos}, {@code chromium}, {@code busybox}, {@code root}, {@code local-cluster},
 * {@code docker}, ...). {@code tools/test-summary.py} reads that prefix: it lists each skip with its reason, and
 * under {@code CI=true} it fails the run when WHAT is something {@code .ci/run} installs, since there a skip means a
 * broken install step. A skip whose reason lacks the prefix cannot be attributed and also fails CI.
 *
 * <p>Use it in {@code @BeforeAll} as well as in tests: {@link SkippedClassLog} records classes skipped there, which
 * Surefire's XML leaves out.
 */
public final class Needs {
  /** What every skip reason starts with; {@code tools/test-summary.py} parses {@code "needs WHAT: "}. */
  public static final String PREFIX = "needs ";

  private static final String TSHARK_INSTALL = "echo 'wireshark-common wireshark-common/install-setuid boolean "
      + "false' | debconf-set-selections && apt-get install -y tshark";
  private static final Map<String, String> INSTALL = Map.of(
      "tshark", TSHARK_INSTALL,
      "capinfos", TSHARK_INSTALL,
      "editcap", TSHARK_INSTALL,
      "mergecap", TSHARK_INSTALL,
      "tcpdump", "apt-get install -y tcpdump",
      "busybox", "apt-get install -y busybox",
      "ip", "apt-get install -y iproute2",
      "python3", "apt-get install -y python3");

  private Needs() {}

  /** {@code "needs WHAT: explanation"}: the reason text every skip carries. */
  public static String reason(String what, String explanation) {
    if (what.isEmpty() || !what.matches("[a-z0-9][a-z0-9.-]*")) {
      throw new IllegalArgumentException("'" + what + "' is not a skip subject: use one lower-case word such as "
          + "tshark, root or local-cluster, so tools/test-summary.py can attribute the skip");
    }
    return PREFIX + what + ": " + explanation;
  }

  /** Skips the calling test (or class, from {@code @BeforeAll}) unless {@code present}. */
  public static void that(boolean present, String what, String explanation) {
    Assumptions.assumeTrue(present, () -> reason(what, explanation));
  }

  /** Skips unconditionally; returns nothing, typed so it can end a method that returns a value. */
  public static <T> T abort(String what, String explanation) {
    return Assumptions.abort(reason(what, explanation));
  }

  /** Skips unless every {@code tool} is an executable on the PATH. */
  public static void tools(String... tools) {
    for (String tool : tools) {
      that(onPath(tool), tool, tool + " is not on the PATH; install it (" + INSTALL.getOrDefault(tool,
          "apt-get install -y " + tool) + "); .ci/run does");
    }
  }

  /** Skips unless the tests run as root; {@code why} says what needs it. */
  public static void root(String why) {
    that(isRoot(), "root", why + " needs root (or CAP_NET_RAW and CAP_NET_ADMIN); run the tests as root, as CI does");
  }

  /** Whether {@code tool} is an executable file in a directory of the PATH this JVM was started with. */
  public static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  public static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
