package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.capturepackets.analysis.AnalysisReport;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.analysis.Verdict;
import io.github.capturepackets.capture.CaptureException;
import io.github.capturepackets.pcap.CaptureInterface;
import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.Packet;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.Event;
import org.opentest4j.TestAbortedException;

/**
 * Runs the real Jupiter engine on the static nested {@code *TestCases} fixtures (Surefire does not pick those up by
 * itself) with local captures on loopback. Needs root and tcpdump; skips otherwise.
 */
@RequiresLocalCapture
class CapturePacketsExtensionTest {

    @TempDir
    Path out;

    // ------------------------------------------------------------------------------------------------ fixtures

    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    static class FilesTestCases {
        @Test
        void first() {
            try (LocalHttp http = LocalHttp.start()) {
                assertEquals(200, http.get("/first"));
            }
        }

        @Test
        void second() {
            try (LocalHttp http = LocalHttp.start()) {
                assertEquals(500, http.get("/status/500"));
            }
        }
    }

    @CapturePackets
    static class OnFailureTestCases {
        @Test
        void passes() {
            try (LocalHttp http = LocalHttp.start()) {
                assertEquals(200, http.get("/passes"));
            }
        }

        @Test
        void fails() {
            try (LocalHttp http = LocalHttp.start()) {
                assertEquals(201, http.get("/fails"), "fails on purpose");
            }
        }
    }

    @CapturePackets(retention = CapturePackets.Retention.NEVER)
    static class NeverTestCases {
        @Test
        void fails() {
            try (LocalHttp http = LocalHttp.start()) {
                assertEquals(201, http.get("/fails"), "fails on purpose");
            }
        }
    }

    @CapturePackets(failOn = "http.5xx")
    static class VerdictTestCases {
        @Test
        void serverError() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/status/503");
            }
        }

        @Test
        void serverErrorAndOwnFailure() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/status/500");
                throw new IllegalStateException("the test's own failure");
            }
        }

        @Test
        void clean() {
            try (LocalHttp http = LocalHttp.start()) {
                assertEquals(404, http.get("/status/404"));
            }
        }
    }

    @CapturePackets(captureInterface = "nosuchif0")
    static class StartFailsTestCases {
        @Test
        void one() {
        }

        @Test
        void two() {
        }
    }

    @CapturePackets(captureInterface = "nosuchif0", onStartFailure = CapturePackets.OnStartFailure.ABORT)
    static class StartAbortsTestCases {
        @Test
        void one() {
        }
    }

    @CapturePackets(failOn = "tcp.bogus")
    static class MisconfiguredTestCases {
        @Test
        void one() {
        }
    }

    @CapturePackets
    static class OneSessionTestCases {
        @RepeatedTest(5)
        void repeated(org.junit.jupiter.api.RepetitionInfo repetition) {
            Fixtures.SEEN.computeIfAbsent(getClass().getName(), k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                    .addAll(Fixtures.tcpdumpPids());
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/" + repetition.getCurrentRepetition());
            }
        }
    }

    @CapturePackets
    static class OneSessionAgainTestCases {
        @RepeatedTest(5)
        void repeated() {
            Fixtures.SEEN.computeIfAbsent(getClass().getName(), k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                    .addAll(Fixtures.tcpdumpPids());
        }
    }

    /** Runs several fixture classes in one engine run, with suite scope. */
    static final class EngineTestKitSuite {
        static EngineExecutionResults run(Path out, Class<?>... fixtures) {
            return org.junit.platform.testkit.engine.EngineTestKit.engine("junit-jupiter")
                    .selectors(java.util.Arrays.stream(fixtures)
                            .map(org.junit.platform.engine.discovery.DiscoverySelectors::selectClass)
                            .toArray(org.junit.platform.engine.DiscoverySelector[]::new))
                    .configurationParameters(Map.of("capturepackets.outputDir", out.resolve("cp").toString(),
                            "capturepackets.filter", LocalHttp.FILTER, "capturepackets.scope", "suite"))
                    .outputDirectoryCreator(Fixtures.creator(out.resolve("junit")))
                    .execute();
        }
    }

    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    static class OuterTestCases {
        @Test
        void outer() {
            Fixtures.SEEN.computeIfAbsent("outer", k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                    .addAll(Fixtures.tcpdumpPids());
        }

        @Nested
        class Inner {
            @Test
            void inner() {
                Fixtures.SEEN.computeIfAbsent("inner", k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                        .addAll(Fixtures.tcpdumpPids());
                try (LocalHttp http = LocalHttp.start()) {
                    http.get("/inner");
                }
            }
        }
    }

    /** A user's composed annotation carrying two capture groups. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    @CapturePackets(retention = CapturePackets.Retention.ALWAYS, filter = "host 127.0.77.1 and tcp")
    @interface TwoLoopbackGroups {
    }

    @TwoLoopbackGroups
    static class ComposedTestCases {
        @Test
        void both() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/both");
            }
        }
    }

    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    abstract static class AnnotatedBase {
    }

    static class InheritedTestCases extends AnnotatedBase {
        @Test
        void inherited() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/inherited");
            }
        }
    }

    static class MethodLevelTestCases {
        @Test
        @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
        void captured() {
            try (LocalHttp http = LocalHttp.start()) {
                http.get("/captured");
            }
        }

        @Test
        void notCaptured() {
        }
    }

    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    static class ParameterTestCases {
        @Test
        void marksAndReadsVerdicts(PacketCapture capture) {
            try (LocalHttp http = LocalHttp.start()) {
                capture.mark("before the error");
                http.get("/status/502");
                AnalysisReport soFar = capture.analyzeSoFar();
                assertThat(soFar.stats().http().serverErrors()).isEqualTo(1);
                assertThat(soFar.verdicts()).extracting(f -> f.rule()).contains(Rule.HTTP_SERVER_ERROR);
                assertThat(soFar.markers()).extracting(m -> m.label()).containsExactly("before the error");
                capture.mark("after the check");
                http.get("/status/200");
                AnalysisReport both = capture.analyzeSoFar();
                assertThat(both.stats().http().responses()).isEqualTo(2);
                // The client kept its connection for the second request: the two pieces analyzeSoFar() cut the
                // pod's capture into are read as one capture, so that connection is one flow from its handshake.
                assertThat(both.sources()).hasSize(1);
                assertThat(both.flows()).filteredOn(f -> f.protocol().equals("TCP")).singleElement()
                        .satisfies(f -> assertThat(f.handshakeRtt()).isNotNull());
                assertThat(capture.directory()).isDirectory();
            }
        }
    }

    static class ParameterWithoutCaptureTestCases {
        @Test
        void wantsCapture(PacketCapture capture) {
        }
    }

    @CapturePackets
    static class ParameterInBeforeAllTestCases {
        @BeforeAll
        static void tooEarly(PacketCapture capture) {
        }

        @Test
        void captured() {
        }
    }

    @CapturePackets(retention = CapturePackets.Retention.ALWAYS)
    @Execution(ExecutionMode.CONCURRENT)
    static class ParallelTestCases {
        static void exchange(TestInfo info, PacketCapture capture) {
            String name = info.getTestMethod().orElseThrow().getName();
            try (LocalHttp http = LocalHttp.start()) {
                for (int i = 0; i < 3; i++) {
                    http.get("/" + name + "/" + i);
                }
                capture.mark(name);
            }
        }

        @Test
        void p1(TestInfo info, PacketCapture capture) {
            exchange(info, capture);
        }

        @Test
        void p2(TestInfo info, PacketCapture capture) {
            exchange(info, capture);
        }

        @Test
        void p3(TestInfo info, PacketCapture capture) {
            exchange(info, capture);
        }

        @Test
        void p4(TestInfo info, PacketCapture capture) {
            exchange(info, capture);
        }

        @Test
        void p5(TestInfo info, PacketCapture capture) {
            exchange(info, capture);
        }

        @Test
        void p6(TestInfo info, PacketCapture capture) {
            exchange(info, capture);
        }
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    @DisplayName("Each test gets capture.pcapng, verdicts.json, summary.md and report.html under <outputDir>/<class>/<method>")
    void perTestFiles() throws Exception {
        EngineExecutionResults results = Fixtures.run(out, FilesTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        for (String method : List.of("first", "second")) {
            Path dir = Fixtures.testDir(out, FilesTestCases.class, method);
            assertThat(dir.resolve("capture.pcapng")).isRegularFile();
            assertThat(dir.resolve("verdicts.json")).isRegularFile();
            assertThat(dir.resolve("summary.md")).isRegularFile();
            assertThat(dir.resolve("report.html")).isRegularFile();
            assertThat(dir.resolve("pcap")).doesNotExist();
        }
        // The second test's 500 is in its own capture and verdicts, not in the first test's.
        assertThat(Files.readString(Fixtures.testDir(out, FilesTestCases.class, "second").resolve("verdicts.json")))
                .contains("http.5xx");
        assertThat(Files.readString(Fixtures.testDir(out, FilesTestCases.class, "first").resolve("verdicts.json")))
                .doesNotContain("http.5xx");
        assertThat(httpUris(Fixtures.testDir(out, FilesTestCases.class, "first").resolve("capture.pcapng")))
                .containsExactly("/first");
    }

    @Test
    @DisplayName("The merged pcapng has one interface per capture, named after it, with the test name in the comments")
    void mergedPcapngDescribesItself() throws Exception {
        Fixtures.run(out, FilesTestCases.class);

        Path capture = Fixtures.testDir(out, FilesTestCases.class, "first").resolve("capture.pcapng");
        try (CaptureReader reader = CaptureReader.open(capture)) {
            while (reader.next() != null) {
                // Interfaces are known once read.
            }
            assertThat(reader.interfaces()).singleElement().satisfies(i -> {
                assertThat(i.name()).isEqualTo("lo");
                assertThat(i.comments()).anyMatch(c -> c.equals("test: FilesTestCases > first()"));
            });
            assertThat(reader.sectionComments()).contains("test: FilesTestCases > first()");
        }
    }

    @Test
    @DisplayName("Report entries carry the verdict summary under the documented capturepackets.* keys, one entry per test")
    void reportEntries() {
        EngineExecutionResults results = Fixtures.run(out, FilesTestCases.class);

        Map<String, Map<String, String>> entries = entriesByTest(results);
        assertThat(entries).containsOnlyKeys("first()", "second()");
        assertThat(entries.get("first()")).containsOnlyKeys("capturepackets.verdict", "capturepackets.summary",
                "capturepackets.packets", "capturepackets.complete", "capturepackets.dropped",
                "capturepackets.directory");
        assertThat(Outcome.REPORT_KEYS).containsExactly("capturepackets.verdict", "capturepackets.summary",
                "capturepackets.packets", "capturepackets.complete", "capturepackets.dropped",
                "capturepackets.directory");
        assertThat(entries.get("first()")).containsEntry("capturepackets.verdict", "PASS")
                .containsEntry("capturepackets.complete", "true")
                .containsEntry("capturepackets.dropped", "0")
                .containsEntry("capturepackets.directory",
                        Fixtures.testDir(out, FilesTestCases.class, "first").toString());
        assertThat(entries.get("second()").get("capturepackets.verdict")).isEqualTo("WARN");
        assertThat(entries.get("second()").get("capturepackets.summary")).startsWith("WARN: ").contains("http.5xx x1");
        assertThat(Long.parseLong(entries.get("first()").get("capturepackets.packets"))).isGreaterThan(0);
    }

    @Test
    @DisplayName("Kept files are published with JUnit's publishFile, for the test they belong to")
    void publishedFiles() throws Exception {
        EngineExecutionResults results = Fixtures.run(out, FilesTestCases.class);

        List<Event> files = results.allEvents().fileEntryPublished().list();
        Map<String, Set<String>> byTest = new java.util.TreeMap<>();
        for (Event event : files) {
            var entry = event.getPayload(org.junit.platform.engine.reporting.FileEntry.class).orElseThrow();
            byTest.computeIfAbsent(event.getTestDescriptor().getDisplayName(), k -> new java.util.TreeSet<>())
                    .add(entry.getPath().getFileName().toString());
            assertThat(entry.getPath()).isRegularFile();
        }
        assertThat(byTest).containsOnlyKeys("first()", "second()");
        assertThat(byTest.get("first()")).containsExactly("capture.pcapng", "report.html", "summary.md",
                "verdicts.json");
        Event pcap = files.stream().filter(e -> e.getPayload(org.junit.platform.engine.reporting.FileEntry.class)
                .orElseThrow().getPath().getFileName().toString().equals("capture.pcapng")).findFirst().orElseThrow();
        assertThat(pcap.getPayload(org.junit.platform.engine.reporting.FileEntry.class).orElseThrow().getMediaType())
                .contains("application/x-pcapng");
    }

    @Test
    @DisplayName("A second build without a clean publishes over the files the first one left in JUnit's output directory")
    void secondRunWithoutClean() {
        Fixtures.run(out, FilesTestCases.class).testEvents().assertStatistics(s -> s.succeeded(2));

        EngineExecutionResults again = Fixtures.run(out, FilesTestCases.class);

        again.testEvents().assertStatistics(s -> s.succeeded(2).failed(0));
        assertThat(again.allEvents().fileEntryPublished().count()).isEqualTo(8);
    }

    @Test
    @DisplayName("Retention ON_FAILURE (the default) keeps the failed test's files and deletes the passed test's")
    void onFailureRetention() {
        EngineExecutionResults results = Fixtures.run(out, OnFailureTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(1).failed(1));
        assertThat(Fixtures.testDir(out, OnFailureTestCases.class, "passes")).doesNotExist();
        assertThat(Fixtures.testDir(out, OnFailureTestCases.class, "fails").resolve("capture.pcapng")).isRegularFile();
        Map<String, Map<String, String>> entries = entriesByTest(results);
        assertThat(entries.get("passes()").get("capturepackets.directory")).startsWith("(deleted: retention ON_FAILURE");
        assertThat(results.allEvents().fileEntryPublished().list())
                .allMatch(e -> e.getTestDescriptor().getDisplayName().equals("fails()"));
    }

    @Test
    @DisplayName("Retention NEVER deletes even a failed test's files but still reports the verdict")
    void neverRetention() {
        EngineExecutionResults results = Fixtures.run(out, NeverTestCases.class);

        results.testEvents().assertStatistics(s -> s.failed(1));
        assertThat(Fixtures.testDir(out, NeverTestCases.class, "fails")).doesNotExist();
        assertThat(entriesByTest(results).get("fails()")).containsKey("capturepackets.verdict");
        assertThat(results.allEvents().fileEntryPublished().count()).isZero();
    }

    @Test
    @DisplayName("A failOn rule that fires fails the test with the findings and report path; a clean test passes")
    void verdictFailsTest() {
        EngineExecutionResults results = Fixtures.run(out, VerdictTestCases.class);

        results.testEvents().assertThatEvents().haveExactly(1, event(test("serverError"),
                finishedWithFailure(instanceOf(AssertionError.class),
                        message(m -> m.contains("http.5xx: 1 occurrence, first at frame")
                                && m.contains("503")
                                && m.contains(Fixtures.testDir(out, VerdictTestCases.class, "serverError")
                                        .resolve("summary.md").toString())))));
        results.testEvents().assertThatEvents().haveExactly(1, event(test("clean"),
                org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully()));
        // A test failed by its verdict keeps its files (retention ON_FAILURE).
        assertThat(Fixtures.testDir(out, VerdictTestCases.class, "serverError").resolve("capture.pcapng"))
                .isRegularFile();
    }

    @Test
    @DisplayName("The test's own failure stays the primary exception; the verdict error is added to it as suppressed")
    void verdictNeverHidesTestFailure() {
        EngineExecutionResults results = Fixtures.run(out, VerdictTestCases.class);

        Throwable thrown = results.testEvents().failed().list().stream()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals("serverErrorAndOwnFailure()"))
                .findFirst().orElseThrow()
                .getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
                .getThrowable().orElseThrow();
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessage("the test's own failure");
        assertThat(thrown.getSuppressed()).singleElement().isInstanceOf(AssertionError.class)
                .extracting(Throwable::getMessage).asString().contains("http.5xx");
    }

    @Test
    @DisplayName("A capture that cannot start fails every test with the engine's message (onStartFailure FAIL, the default)")
    void startFailureFails() {
        EngineExecutionResults results = Fixtures.run(out, StartFailsTestCases.class);

        results.testEvents().assertStatistics(s -> s.failed(2).succeeded(0));
        results.testEvents().assertThatEvents().haveExactly(2, event(finishedWithFailure(
                instanceOf(CaptureException.class), message(m -> m.contains("@CapturePackets could not start")
                        && m.contains("nosuchif0")))));
    }

    @Test
    @DisplayName("With onStartFailure ABORT a capture that cannot start aborts the test with the engine's message")
    void startFailureAborts() {
        EngineExecutionResults results = Fixtures.run(out, StartAbortsTestCases.class);

        results.testEvents().assertStatistics(s -> s.aborted(1).succeeded(0).failed(0));
        results.testEvents().assertThatEvents().haveExactly(1, event(
                org.junit.platform.testkit.engine.EventConditions.abortedWithReason(
                        instanceOf(TestAbortedException.class), message(m -> m.contains("nosuchif0")))));
    }

    @Test
    @DisplayName("Misconfiguration fails with ExtensionConfigurationException naming the setting")
    void misconfiguration() {
        EngineExecutionResults results = Fixtures.run(out, MisconfiguredTestCases.class);

        results.testEvents().assertThatEvents().haveExactly(1, event(finishedWithFailure(
                instanceOf(ExtensionConfigurationException.class),
                message(m -> m.contains("capturepackets.failOn") && m.contains("tcp.bogus")))));
    }

    @Test
    @DisplayName("One capture session serves the whole class: five tests share one tcpdump, each gets its own slice")
    void oneSessionPerClass() {
        Fixtures.SEEN.clear();
        EngineExecutionResults results = Fixtures.run(out, OneSessionTestCases.class,
                Map.of("capturepackets.retention", "ALWAYS"));

        results.testEvents().assertStatistics(s -> s.succeeded(5));
        assertThat(Fixtures.SEEN.get(OneSessionTestCases.class.getName())).hasSize(1);
        for (int i = 1; i <= 5; i++) {
            Path dir = Fixtures.testDir(out, OneSessionTestCases.class, "repeated[" + i + "]");
            assertThat(httpUris(dir.resolve("capture.pcapng"))).containsExactly("/" + i);
        }
        assertThat(Fixtures.tcpdumpPids()).as("the session is closed with the class").isEmpty();
    }

    @Test
    @DisplayName("With capturepackets.scope=suite, classes with equal annotations share one session for the whole run")
    void suiteScope() {
        Fixtures.SEEN.clear();
        EngineExecutionResults results = EngineTestKitSuite.run(out, OneSessionTestCases.class,
                OneSessionAgainTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(10));
        assertThat(Fixtures.SEEN.get(OneSessionTestCases.class.getName()))
                .isEqualTo(Fixtures.SEEN.get(OneSessionAgainTestCases.class.getName())).hasSize(1);
        assertThat(Fixtures.tcpdumpPids()).as("the suite's session is closed when the run ends").isEmpty();
    }

    @Test
    @DisplayName("@Nested tests are captured by the enclosing class's session, into <Outer$Inner>/<method>")
    void nested() {
        Fixtures.SEEN.clear();
        EngineExecutionResults results = Fixtures.run(out, OuterTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(2));
        assertThat(Fixtures.SEEN.get("inner")).isEqualTo(Fixtures.SEEN.get("outer")).hasSize(1);
        assertThat(httpUris(Fixtures.testDir(out, OuterTestCases.Inner.class, "inner").resolve("capture.pcapng")))
                .containsExactly("/inner");
        assertThat(Fixtures.testDir(out, OuterTestCases.class, "outer").resolve("capture.pcapng")).isRegularFile();
    }

    @Test
    @DisplayName("Repeated @CapturePackets in a composed annotation make two capture groups: two pcapng interfaces")
    void repeatableInComposedAnnotation() throws Exception {
        EngineExecutionResults results = Fixtures.run(out, ComposedTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(1));
        Path capture = Fixtures.testDir(out, ComposedTestCases.class, "both").resolve("capture.pcapng");
        try (CaptureReader reader = CaptureReader.open(capture)) {
            while (reader.next() != null) {
                // Read to the end so every interface is known.
            }
            assertThat(reader.interfaces()).hasSize(2);
        }
    }

    @Test
    @DisplayName("@CapturePackets is inherited from a superclass")
    void inherited() {
        EngineExecutionResults results = Fixtures.run(out, InheritedTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(1));
        assertThat(httpUris(Fixtures.testDir(out, InheritedTestCases.class, "inherited").resolve("capture.pcapng")))
                .containsExactly("/inherited");
    }

    @Test
    @DisplayName("On a method, only that method is captured")
    void methodLevel() {
        EngineExecutionResults results = Fixtures.run(out, MethodLevelTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(2));
        assertThat(Fixtures.testDir(out, MethodLevelTestCases.class, "captured").resolve("capture.pcapng"))
                .isRegularFile();
        assertThat(Fixtures.testDir(out, MethodLevelTestCases.class, "notCaptured")).doesNotExist();
        assertThat(entriesByTest(results)).containsOnlyKeys("captured()");
    }

    @Test
    @DisplayName("A PacketCapture parameter marks the timeline and reads the verdicts captured so far")
    void parameter() throws Exception {
        EngineExecutionResults results = Fixtures.run(out, ParameterTestCases.class);

        results.testEvents().assertStatistics(s -> s.succeeded(1));
        Path dir = Fixtures.testDir(out, ParameterTestCases.class, "marksAndReadsVerdicts");
        assertThat(Files.readString(dir.resolve("verdicts.json"))).contains("before the error", "after the check");
        assertThat(httpUris(dir.resolve("capture.pcapng"))).containsExactly("/status/502", "/status/200");
        JsonNode verdicts = new ObjectMapper().readTree(dir.resolve("verdicts.json").toFile());
        assertThat(verdicts.get("sources")).hasSize(1);
        assertThat(verdicts.at("/stats/tcp/connections").asLong()).isEqualTo(1);
    }

    @Test
    @DisplayName("A PacketCapture parameter outside a captured test fails with a message naming what is missing: the "
            + "parameter when no @CapturePackets registers the extension, @CapturePackets and the method when it does")
    void parameterWithoutCapture() {
        EngineExecutionResults without = Fixtures.run(out, ParameterWithoutCaptureTestCases.class);

        without.testEvents().assertStatistics(s -> s.failed(1));
        // Without @CapturePackets our extension is not registered, so JUnit itself answers: it names the parameter.
        without.testEvents().assertThatEvents().haveExactly(1, event(test("wantsCapture"), finishedWithFailure(
                instanceOf(ParameterResolutionException.class),
                message(m -> m.contains("No ParameterResolver registered for parameter [" + PacketCapture.class.getName()
                        + " capture]")))));

        EngineExecutionResults beforeAll = Fixtures.run(out, ParameterInBeforeAllTestCases.class);

        beforeAll.containerEvents().assertThatEvents().haveExactly(1, event(finishedWithFailure(
                instanceOf(ParameterResolutionException.class),
                message(m -> m.startsWith("A PacketCapture parameter is available to test methods (and @BeforeEach/"
                        + "@AfterEach methods) of tests covered by @CapturePackets; ")
                        && m.contains("tooEarly(" + PacketCapture.class.getName() + ")")
                        && m.endsWith(" is not one")))));
        beforeAll.testEvents().assertStatistics(s -> s.started(0));
    }

    @Test
    @DisplayName("Under parallel execution each test's files, markers, entries and attachments are its own")
    void parallel() throws Exception {
        EngineExecutionResults results = Fixtures.run(out, ParallelTestCases.class,
                Map.of("junit.jupiter.execution.parallel.enabled", "true",
                        "junit.jupiter.execution.parallel.config.strategy", "fixed",
                        "junit.jupiter.execution.parallel.config.fixed.parallelism", "6"));

        results.testEvents().assertStatistics(s -> s.succeeded(6));
        Map<String, Map<String, String>> entries = entriesByTest(results);
        List<String> names = IntStream.rangeClosed(1, 6).mapToObj(i -> "p" + i).toList();
        Set<String> directories = new HashSet<>();
        for (String name : names) {
            Path dir = Fixtures.testDir(out, ParallelTestCases.class, name);
            assertThat(entries.get(name + "(TestInfo, PacketCapture)")).containsEntry("capturepackets.directory",
                    dir.toString());
            directories.add(dir.toString());
            assertThat(httpUris(dir.resolve("capture.pcapng"))).contains("/" + name + "/0");
            // Markers are per test.
            assertThat(Files.readString(dir.resolve("verdicts.json"))).contains("\"" + name + "\"");
            for (String other : names) {
                if (!other.equals(name)) {
                    assertThat(Files.readString(dir.resolve("verdicts.json"))).doesNotContain("\"" + other + "\"");
                }
            }
        }
        assertThat(directories).hasSize(6);
        for (Event event : results.allEvents().fileEntryPublished().list()) {
            String test = event.getTestDescriptor().getDisplayName();
            Path file = event.getPayload(org.junit.platform.engine.reporting.FileEntry.class).orElseThrow().getPath();
            String name = test.substring(0, test.indexOf('('));
            assertThat(Files.isSameFile(file, Fixtures.testDir(out, ParallelTestCases.class, name)
                    .resolve(file.getFileName()))).as("%s attached to %s", file, test).isTrue();
        }
    }

    @Test
    @DisplayName("Under parallel execution every request a test sent is in that test's own capture")
    void parallelSlicesHoldEveryOwnPacket() {
        EngineExecutionResults results = Fixtures.run(out, ParallelTestCases.class,
                Map.of("junit.jupiter.execution.parallel.enabled", "true",
                        "junit.jupiter.execution.parallel.config.strategy", "fixed",
                        "junit.jupiter.execution.parallel.config.fixed.parallelism", "6"));

        results.testEvents().assertStatistics(s -> s.succeeded(6));
        for (int i = 1; i <= 6; i++) {
            String name = "p" + i;
            assertThat(httpUris(Fixtures.testDir(out, ParallelTestCases.class, name).resolve("capture.pcapng")))
                    .contains("/" + name + "/0", "/" + name + "/1", "/" + name + "/2");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Map<String, Map<String, String>> entriesByTest(EngineExecutionResults results) {
        Map<String, Map<String, String>> byTest = new java.util.TreeMap<>();
        for (Event event : results.allEvents().reportingEntryPublished().list()) {
            ReportEntry entry = event.getPayload(ReportEntry.class).orElseThrow();
            Map<String, String> previous = byTest.put(event.getTestDescriptor().getDisplayName(),
                    entry.getKeyValuePairs());
            assertThat(previous).as("one entry per test").isNull();
        }
        return byTest;
    }

    /** The HTTP request paths in a capture, in order, read with our own reader. */
    static List<String> httpUris(Path capture) {
        List<String> uris = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(capture)) {
            Packet packet;
            while ((packet = reader.next()) != null) {
                String text = new String(packet.data(), packet.dataOffset(), packet.capturedLength(),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                int get = text.indexOf("GET /");
                if (get >= 0) {
                    uris.add(text.substring(get + 4, text.indexOf(' ', get + 4)));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return uris;
    }

    static Set<String> names(List<Event> events) {
        return events.stream().map(e -> e.getTestDescriptor().getDisplayName()).collect(Collectors.toSet());
    }

    @BeforeAll
    static void noLeftovers() {
        assertThat(Fixtures.tcpdumpPids()).isEmpty();
    }
}
