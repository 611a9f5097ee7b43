package io.github.capturepackets.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Runs REAL Maven Surefire builds with tshark hidden from the test JVM's PATH and checks what {@code
 * tools/test-summary.py} makes of their reports: a small fixture project (src/test/summary-fixture) with a class
 * skipped in {@code @BeforeAll}, and the core's own oracle tests.
 */
@DisplayName("tools/test-summary.py on real Surefire reports: whole-class skips counted, reasons kept, CI fails on a"
    + " missing tool")
class TestSummaryTest {
  private static final String SUREFIRE_VERSION = "3.5.6";
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path SUMMARY = REPO.resolve("tools/test-summary.py");
  /** The core's tests whose tshark checks are separate tests, each reported skipped without tshark. */
  private static final List<String> ORACLE_CLASSES = List.of("io.github.capturepackets.pcap.CraftedPacketsTest",
      "io.github.capturepackets.pcap.PcapngWriterTest", "io.github.capturepackets.pcap.PcapngFeaturesTest");

  @TempDir static Path work;
  private static Path fixture;
  private static Path oracles;
  private static long beforeFixtureRun;

  @BeforeAll
  static void runSurefireWithoutTshark() throws Exception {
    Needs.tools("python3");
    Path noTshark = pathWithout("tshark");
    List<String> classpath = classpath();

    fixture = project("fixture", classpath);
    compileFixtureTests(fixture, classpath);
    // A previous run's report, and a nested build's: neither is this run's, so neither may count.
    Path stale = Files.createDirectories(fixture.resolve("target/surefire-reports"))
        .resolve("TEST-fixture.OldTest.xml");
    Files.writeString(stale, "<testsuite name=\"fixture.OldTest\" tests=\"1\"><testcase name=\"old\" "
        + "classname=\"fixture.OldTest\"/></testsuite>", StandardCharsets.UTF_8);
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(1, ChronoUnit.DAYS)));
    Path nested = Files.createDirectories(fixture.resolve("target/nested-build/target/surefire-reports"));
    Files.writeString(nested.resolve("TEST-fixture.NestedTest.xml"), "<testsuite name=\"fixture.NestedTest\" "
        + "tests=\"1\"><testcase name=\"nested\" classname=\"fixture.NestedTest\"><failure message=\"not ours\"/>"
        + "</testcase></testsuite>", StandardCharsets.UTF_8);
    beforeFixtureRun = Instant.now().getEpochSecond();
    maven(fixture, "fixture", "-Dfixture.path=" + noTshark);

    oracles = project("oracles", classpath);
    maven(oracles, "oracles", "-Dfixture.path=" + noTshark,
        "-Dfixture.testClasses=" + REPO.resolve("core/target/test-classes"),
        "-Dtest=" + ORACLE_CLASSES.stream().map(c -> c.substring(c.lastIndexOf('.') + 1))
            .collect(Collectors.joining(",")));
  }

  @Test
  @DisplayName("A class whose @BeforeAll assumption failed counts as skipped, with its reason, in the closing line")
  void wholeClassSkipCounted() throws Exception {
    // What Surefire itself writes for that class: no test case, no reason. The summary must not rely on it.
    assertThat(Files.readString(fixture.resolve("target/surefire-reports/TEST-fixture.WholeClassSkippedTest.xml")))
        .contains("tests=\"0\"").doesNotContain("<testcase");

    Summary summary = summary(fixture, false, "--since", Long.toString(beforeFixtureRun));

    assertThat(summary.exit()).as(summary.out()).isZero();
    assertThat(summary.closingLine()).isEqualTo("tests: 1 passed, 0 failed, 4 skipped");
    assertThat(summary.out()).containsPattern("skipped +1 x needs tshark: tshark is not on the PATH; install it .*"
        + "\\[WholeClassSkippedTest \\(whole class, skipped in @BeforeAll\\)]");
    assertThat(summary.out()).contains(
        "skipped    1 x needs docker: fixture: K3s from testcontainers needs a Docker engine  [PassingTest.needsDocker]",
        "skipped    1 x needs docker: fixture: disabled without a Docker engine  [PassingTest.disabledWithoutDocker]",
        "skipped    1 x something is missing  [UnattributedTest.skipsWithoutNeeds]",
        "allowed skips: 2 x needs docker");
    assertThat(summary.out()).contains("ignored 1 report file(s) older than this run");
  }

  @Test
  @DisplayName("Without --since an old report is counted: test.sh's start time is what keeps stale reports out")
  void staleReportCountsWithoutSince() throws Exception {
    Summary summary = summary(fixture, false);

    assertThat(summary.closingLine()).isEqualTo("tests: 2 passed, 0 failed, 4 skipped");
  }

  @Test
  @DisplayName("With CI=true a skip for want of tshark fails the summary and names tshark, a skip without a 'needs' "
      + "reason fails too, the docker skips are allowed")
  void ciFailsOnMissingTool() throws Exception {
    Summary summary = summary(fixture, true, "--since", Long.toString(beforeFixtureRun));

    assertThat(summary.exit()).as(summary.out()).isEqualTo(1);
    assertThat(summary.out()).contains("test-summary: CI: 1 test(s) skipped because tshark is missing, but .ci/run "
        + "installs it").doesNotContain("because docker is missing");
    assertThat(summary.out()).contains("test-summary: CI: UnattributedTest.skipsWithoutNeeds was skipped without a "
        + "'needs WHAT:' reason (something is missing)");
    assertThat(summary.closingLine()).isEqualTo("tests: 1 passed, 0 failed, 4 skipped");
  }

  @Test
  @DisplayName("With CI=true only allowed skips pass: the same reports without the tshark class's record exit 0")
  void ciAllowsDockerSkip() throws Exception {
    Path reports = Files.createDirectories(work.resolve("allowed-only/module/target/surefire-reports"));
    for (String report : List.of("TEST-fixture.PassingTest.xml", "TEST-fixture.WholeClassSkippedTest.xml")) {
      Files.copy(fixture.resolve("target/surefire-reports").resolve(report), reports.resolve(report));
    }

    Summary summary = summary(work.resolve("allowed-only"), true);

    assertThat(summary.exit()).as(summary.out()).isZero();
    assertThat(summary.closingLine()).isEqualTo("tests: 1 passed, 0 failed, 2 skipped");
    assertThat(summary.out()).contains("allowed skips: 2 x needs docker");
  }

  @Test
  @DisplayName("With tshark hidden from the PATH, the core's oracle tests are reported skipped with the reason, and "
      + "CI=true fails naming tshark")
  void oracleTestsSkippedWithoutTshark() throws Exception {
    Map<String, String> skipped = new TreeMap<>();
    int passed = 0;
    for (String name : ORACLE_CLASSES) {
      for (Map.Entry<String, Element> c : testCases(name).entrySet()) {
        NodeList skip = c.getValue().getElementsByTagName("skipped");
        assertThat(c.getValue().getElementsByTagName("failure").getLength()
            + c.getValue().getElementsByTagName("error").getLength()).as(c.getKey()).isZero();
        if (skip.getLength() > 0) {
          skipped.put(c.getKey(), skip.item(0).getTextContent());
        } else {
          passed++;
        }
      }
    }
    assertThat(skipped).as("the tshark checks are reported skipped, not passed").containsOnlyKeys(
        "CraftedPacketsTest.ethernetFramesDecodeLikeTshark",
        "CraftedPacketsTest.loopbackAndRawLinkTypesDecodeLikeTshark",
        "CraftedPacketsTest.truncatedBySnapLengthDecodesLikeTshark",
        "PcapngFeaturesTest.tsharkReadsTheSame",
        "PcapngWriterTest.mergeCarriesDrops",
        "PcapngWriterTest.mergeReadByTshark",
        "PcapngWriterTest.mergeWithBadInputsReadByTshark",
        "PcapngWriterTest.writtenFileReadByTsharkAndCapinfos");
    assertThat(skipped.values()).allSatisfy(text -> assertThat(text).contains("needs tshark: "));

    Summary summary = summary(oracles, false);
    assertThat(summary.exit()).as(summary.out()).isZero();
    assertThat(summary.out()).contains("skipped    8 x needs tshark: tshark is not on the PATH; install it");
    assertThat(summary.closingLine()).isEqualTo("tests: " + passed + " passed, 0 failed, 8 skipped");

    Summary ci = summary(oracles, true);
    assertThat(ci.exit()).as(ci.out()).isEqualTo(1);
    assertThat(ci.out()).contains("test-summary: CI: 8 test(s) skipped because tshark is missing");
  }

  // ------------------------------------------------------------------------------------------------ helpers

  record Summary(int exit, String out) {
    String closingLine() {
      List<String> lines = out.strip().lines().toList();
      return lines.get(lines.size() - 1);
    }
  }

  private static Summary summary(Path root, boolean ci, String... options) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3", SUMMARY.toString()));
    command.addAll(List.of(options));
    command.add(root.toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("CI");
    if (ci) {
      builder.environment().put("CI", "true");
    }
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("test-summary.py finished").isTrue();
    return new Summary(process.exitValue(), out);
  }

  /** A directory of links to every program on the usual PATH except {@code hidden}. */
  private static Path pathWithout(String hidden) throws IOException {
    Path bin = Files.createDirectories(work.resolve("path-without-" + hidden));
    for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      if (!Files.isDirectory(Path.of(dir))) {
        continue;
      }
      try (Stream<Path> programs = Files.list(Path.of(dir))) {
        for (Path program : programs.toList()) {
          Path link = bin.resolve(program.getFileName().toString());
          if (!program.getFileName().toString().equals(hidden) && !Files.exists(link, java.nio.file.LinkOption
              .NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, program);
          }
        }
      }
    }
    assertThat(bin.resolve(hidden)).doesNotExist();
    assertThat(bin.resolve("sh")).exists();
    return bin;
  }

  private static Path project(String name, List<String> classpath) throws IOException {
    Path project = Files.createDirectories(work.resolve(name));
    copyTree(Path.of("src", "test", "summary-fixture"), project);
    String pom = Files.readString(project.resolve("pom.xml.template"))
        .replace("@JUNIT_VERSION@", org.junit.jupiter.api.Test.class.getPackage().getImplementationVersion())
        .replace("@SUREFIRE_VERSION@", SUREFIRE_VERSION)
        .replace("@CLASSPATH@", classpath.stream()
            .filter(TestSummaryTest::notProvidedByTheFixture)
            .map(e -> "            <additionalClasspathElement>" + e + "</additionalClasspathElement>")
            .collect(Collectors.joining("\n")));
    Files.writeString(project.resolve("pom.xml"), pom);
    return project;
  }

  private static void maven(Path project, String run, String... arguments) throws Exception {
    List<String> command = new ArrayList<>(List.of(REPO.resolve("mvnw").toString(), "-o", "-B", "-ntp", "-f",
        project.resolve("pom.xml").toString(),
        "org.apache.maven.plugins:maven-surefire-plugin:" + SUREFIRE_VERSION + ":test",
        "-Dsurefire.failIfNoSpecifiedTests=false"));
    command.addAll(List.of(arguments));
    Path log = work.resolve("maven-" + run + ".log");
    Process process = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("Maven did not finish within 5 minutes; see " + log);
    }
    assertThat(process.exitValue()).as("the %s Surefire run passes (its log: %s)", run, Files.readString(log))
        .isZero();
  }

  private static List<String> classpath() {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Stream.of(classpath.split(File.pathSeparator)).filter(s -> !s.isBlank()).toList();
  }

  /** JUnit and Surefire come from the fixture's own declaration; the core's classes and tests from this build. */
  private static boolean notProvidedByTheFixture(String entry) {
    String e = entry.replace('\\', '/');
    return !(e.contains("/org/junit/") || e.contains("/org/opentest4j/") || e.contains("/org/apiguardian/")
        || e.contains("/org/apache/maven/surefire/"));
  }

  private static void compileFixtureTests(Path project, List<String> classpath) throws IOException {
    Path output = Files.createDirectories(project.resolve("target/test-classes"));
    List<String> arguments = new ArrayList<>(List.of("-d", output.toString(), "-cp",
        String.join(File.pathSeparator, classpath)));
    try (Stream<Path> files = Files.walk(project.resolve("src/test/java"))) {
      files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).forEach(arguments::add);
    }
    JavaCompiler compiler = Objects.requireNonNull(ToolProvider.getSystemJavaCompiler(), "needs a JDK");
    assertThat(compiler.run(null, null, null, arguments.toArray(String[]::new))).as("fixture compiles").isZero();
  }

  /** Test cases of one class in the oracle run's Surefire report, keyed "SimpleClass.method". */
  private static Map<String, Element> testCases(String className) throws Exception {
    Path xml = oracles.resolve("target/surefire-reports/TEST-" + className + ".xml");
    NodeList nodes = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile())
        .getElementsByTagName("testcase");
    Map<String, Element> cases = new LinkedHashMap<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      Element element = (Element) nodes.item(i);
      cases.put(className.substring(className.lastIndexOf('.') + 1) + "." + element.getAttribute("name"), element);
    }
    return cases;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : files.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }
}
