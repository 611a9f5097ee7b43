package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Runs a REAL Maven Surefire build of a small user project (src/test/fixture-project) that uses the extension, offline
 * with the artifacts of this build, and reads the XML reports Surefire and the JUnit Platform write.
 */
@RequiresLocalCapture
class SurefireReportTest {
    private static final String SUREFIRE_VERSION = "3.5.6";

    @TempDir
    static Path project;

    private static int exitCode;
    private static String mavenOutput;

    @BeforeAll
    static void runSurefire() throws Exception {
        copy(Path.of("src", "test", "fixture-project"), project);
        List<String> classpath = classpath();
        String pom = Files.readString(project.resolve("pom.xml.template"))
                .replace("@JUNIT_VERSION@", org.junit.jupiter.api.Test.class.getPackage().getImplementationVersion())
                .replace("@PLATFORM_VERSION@",
                        org.junit.platform.engine.TestEngine.class.getPackage().getImplementationVersion())
                .replace("@SUREFIRE_VERSION@", SUREFIRE_VERSION)
                .replace("@CLASSPATH@", classpath.stream()
                        .filter(SurefireReportTest::notProvidedByTheFixture)
                        .map(e -> "            <additionalClasspathElement>" + e + "</additionalClasspathElement>")
                        .collect(Collectors.joining("\n")))
                .replace("@ENVIRONMENT@", "            <PATH>${fixture.path}</PATH>");
        Files.writeString(project.resolve("pom.xml"), pom);
        compileFixtureTests(classpath);
        Process first = maven("-Dtest=ShopTest", "-Dfixture.run=shop", "-Dfixture.parallel=false",
                "-Dfixture.path=" + System.getenv("PATH"));
        exitCode = first.exitValue();
        mavenOutput = Files.readString(project.resolve("maven-ShopTest.log"));
        maven("-Dtest=ParallelShopTest", "-Dfixture.run=parallel", "-Dfixture.parallel=true",
                "-Dfixture.path=" + System.getenv("PATH"));
        maven("-Dtest=NoTcpdumpTest", "-Dfixture.run=notcpdump", "-Dfixture.parallel=false", "-Dfixture.path=" + project.resolve("no-tools"));
    }

    @Test
    @DisplayName("Surefire's XML carries [[ATTACHMENT|path]] lines for each kept file in that test case's <system-out> "
            + "(in a project without testcontainers on its class path)")
    void attachmentLinesPerTestCase() throws Exception {
        assertThat(exitCode).as(mavenOutput).isZero();
        Map<String, Element> cases = testCases(project.resolve("target/surefire-reports/TEST-fixture.ShopTest.xml"));
        assertThat(cases).containsOnlyKeys("browse", "checkout");
        Path classDir = project.resolve("target/capture-packets/fixture.ShopTest").toRealPath();
        for (String name : List.of("browse", "checkout")) {
            String out = text(cases.get(name), "system-out");
            String other = name.equals("browse") ? "checkout" : "browse";
            for (String file : List.of("capture.pcapng", "verdicts.json", "summary.md", "report.html")) {
                Path path = classDir.resolve(name).resolve(file);
                assertThat(out).contains("[[ATTACHMENT|" + path + "]]");
                assertThat(path).isRegularFile();
                assertThat(out).doesNotContain(classDir.resolve(other).resolve(file).toString());
            }
        }
        assertThat(cases.get("checkout").getElementsByTagName("failure").getLength()).isEqualTo(1);
        assertThat(cases.get("browse").getElementsByTagName("failure").getLength()).isZero();
    }

    @Test
    @DisplayName("Under JUnit's parallel execution no test case gets another's attachments: Surefire cannot attribute "
            + "output to parallel tests (SUREFIRE-1953), so the lines are left out and the files are in the OTR XML")
    void parallelTestCasesGetNoForeignAttachments() throws Exception {
        Map<String, Element> cases = testCases(
                project.resolve("target/surefire-reports/TEST-fixture.ParallelShopTest.xml"));
        assertThat(cases).containsOnlyKeys("a", "b", "c", "d");
        for (String name : cases.keySet()) {
            assertThat(text(cases.get(name), "system-out")).as("system-out of %s", name).doesNotContain("[[ATTACHMENT|");
        }
        assertThat(openTestReportFiles("parallel")).hasSize(4 * 4)
                .allMatch(p -> p.contains("/fixture.ParallelShopTest/"));
        for (String name : cases.keySet()) {
            assertThat(project.resolve("target/capture-packets/fixture.ParallelShopTest").resolve(name)
                    .resolve("capture.pcapng")).isRegularFile();
        }
    }

    @Test
    @DisplayName("The Open Test Reporting XML lists each test's files and its capturepackets.* report entry")
    void openTestReporting() throws Exception {
        List<String> paths = openTestReportFiles("shop");
        String report = openTestReportText("shop");
        assertThat(paths).as(report).anyMatch(p -> p.endsWith("capture.pcapng")).anyMatch(p -> p.endsWith("verdicts.json"))
                .hasSize(2 * 4);
        assertThat(report).contains("capturepackets.verdict", "capturepackets.summary", "capturepackets.directory");
    }

    @Test
    @DisplayName("Without tcpdump on the PATH the test fails in Surefire's report with the engine's message")
    void missingTcpdumpFailsClearly() throws Exception {
        Map<String, Element> cases = testCases(
                project.resolve("target/surefire-reports/TEST-fixture.NoTcpdumpTest.xml"));
        Element testCase = cases.get("needsTcpdump");
        NodeList errors = testCase.getElementsByTagName("error");
        NodeList failures = testCase.getElementsByTagName("failure");
        Element problem = (Element) (errors.getLength() > 0 ? errors.item(0) : failures.item(0));
        assertThat(problem).as("the test must not pass").isNotNull();
        assertThat(problem.getAttribute("message")).contains("tcpdump was not found").contains("apt-get install tcpdump");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static List<Path> openTestReports(String run) throws IOException {
        try (Stream<Path> xmls = Files.walk(project.resolve("target/junit-platform-" + run))) {
            return xmls.filter(f -> f.getFileName().toString().endsWith(".xml")).toList();
        }
    }

    private static String openTestReportText(String run) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path xml : openTestReports(run)) {
            text.append(Files.readString(xml));
        }
        return text.toString();
    }

    /** The paths of the files attached in the Open Test Reporting XML of one run. */
    private static List<String> openTestReportFiles(String run) throws Exception {
        List<String> paths = new ArrayList<>();
        for (Path xml : openTestReports(run)) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            NodeList files = factory.newDocumentBuilder().parse(xml.toFile()).getElementsByTagNameNS("*", "file");
            for (int i = 0; i < files.getLength(); i++) {
                paths.add(((Element) files.item(i)).getAttribute("path"));
            }
        }
        return paths;
    }

    private static Process maven(String... arguments) throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> command = new ArrayList<>(List.of(root.resolve("mvnw").toString(), "-o", "-B", "-f",
                project.resolve("pom.xml").toString(),
                "org.apache.maven.plugins:maven-surefire-plugin:" + SUREFIRE_VERSION + ":test",
                "-Dmaven.test.failure.ignore=true", "-Dsurefire.failIfNoSpecifiedTests=false"));
        command.addAll(List.of(arguments));
        Path log = project.resolve("maven-" + arguments[0].substring("-Dtest=".length()).replace(',', '-') + ".log");
        Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("Maven did not finish within 5 minutes; see " + log);
        }
        return process;
    }

    private static List<String> classpath() {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Stream.of(classpath.split(File.pathSeparator)).filter(s -> !s.isBlank()).toList();
    }

    /**
     * The fixture declares JUnit itself (Surefire picks its provider from that) and has its own test classes; it does
     * not get testcontainers, which is optional for the extension.
     */
    private static boolean notProvidedByTheFixture(String entry) {
        String e = entry.replace('\\', '/');
        return !(e.contains("/org/junit/") || e.contains("/org/opentest4j/") || e.contains("/org/apiguardian/")
                || e.contains("/org/apache/maven/surefire/") || e.contains("/org/testcontainers/")
                || e.endsWith("test-classes"));
    }

    private static void compileFixtureTests(List<String> classpath) throws IOException {
        Path sources = project.resolve("src/test/java");
        Path output = Files.createDirectories(project.resolve("target/test-classes"));
        List<String> arguments = new ArrayList<>(List.of("-d", output.toString(), "-cp",
                String.join(File.pathSeparator, classpath)));
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).forEach(arguments::add);
        }
        JavaCompiler compiler = Objects.requireNonNull(ToolProvider.getSystemJavaCompiler(), "needs a JDK");
        int result = compiler.run(null, null, null, arguments.toArray(String[]::new));
        assertThat(result).as("fixture project compiles").isZero();
    }

    private static Map<String, Element> testCases(Path xml) throws Exception {
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        NodeList nodes = document.getElementsByTagName("testcase");
        Map<String, Element> cases = new TreeMap<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element element = (Element) nodes.item(i);
            cases.put(element.getAttribute("name").replace("()", ""), element);
        }
        return cases;
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < nodes.getLength(); i++) {
            text.append(nodes.item(i).getTextContent());
        }
        return text.toString();
    }

    private static void copy(Path from, Path to) throws IOException {
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
        Files.createDirectories(to.resolve("no-tools"));
        Files.writeString(to.resolve("no-tools/README"), "an empty PATH directory\n", StandardCharsets.UTF_8);
    }
}
