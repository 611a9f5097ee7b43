package io.github.capturepackets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.pcap.CaptureInterface;
import io.github.capturepackets.pcap.CaptureReader;
import io.github.capturepackets.pcap.MergeSource;
import io.github.capturepackets.pcap.Packet;
import io.github.capturepackets.pcap.PcapngWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI run in-process on the committed real capture: arguments, exit statuses, outputs, messages. */
class MainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String fixture() {
        return CliRun.fixture().toString();
    }

    /** The fixture cut in the middle of its last record: a capture killed while tcpdump was writing. */
    private Path truncated() throws IOException {
        byte[] bytes = Files.readAllBytes(CliRun.fixture());
        Path file = dir.resolve("truncated.pcap");
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 20));
        return file;
    }

    @Nested
    class Help {
        @Test
        @DisplayName("--help lists both commands and exits 0")
        void topLevel() {
            CliRun run = CliRun.of("--help");

            assertThat(run.status()).isZero();
            assertThat(run.out()).contains("capture-packets analyze [OPTIONS] CAPTURE...",
                    "capture-packets merge -o OUT.pcapng", "--version");
        }

        @Test
        @DisplayName("analyze --help documents every option, the exit statuses and every rule id with its description")
        void analyze() {
            CliRun run = CliRun.of("analyze", "--help");

            assertThat(run.status()).isZero();
            assertThat(run.out()).contains("--json FILE", "--html FILE", "--markdown FILE", "--fail-on RULE",
                    "--threshold RULE=N", "--max-retransmission-rate X", "--dns-timeout DURATION", "--max-flows N",
                    "--quiet", "Exit status:", "Damaged captures:", "Dropped packets:");
            for (Rule rule : Rule.values()) {
                assertThat(run.out()).containsPattern("(?m)^  " + rule.id().replace(".", "\\.") + " +"
                        + rule.defaultSeverity() + " +" + java.util.regex.Pattern.quote(rule.description()) + "$");
            }
            assertThat(CliRun.of("help", "analyze").out()).isEqualTo(run.out());
        }

        @Test
        @DisplayName("merge --help documents its options and exit statuses")
        void merge() {
            CliRun run = CliRun.of("merge", "-h");

            assertThat(run.status()).isZero();
            assertThat(run.out()).contains("-o, --output FILE", "--name NAME=FILE", "--comment TEXT", "Exit status:");
        }

        @Test
        @DisplayName("--version prints the name and a version")
        void version() {
            CliRun run = CliRun.of("--version");

            assertThat(run.status()).isZero();
            assertThat(run.out()).startsWith("capture-packets ");
        }
    }

    @Nested
    class UsageErrors {
        @Test
        @DisplayName("no arguments: usage on stderr, exit 2")
        void noArguments() {
            CliRun run = CliRun.of();

            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).contains("Usage:");
            assertThat(run.out()).isEmpty();
        }

        @Test
        @DisplayName("an unknown command or option is named, with where to find the valid ones")
        void unknownCommandOrOption() {
            CliRun command = CliRun.of("analyse", fixture());
            assertThat(command.status()).isEqualTo(2);
            assertThat(command.err()).contains("Unknown command 'analyse'", "Commands: analyze, merge");

            CliRun option = CliRun.of("analyze", "--jsno", "x.json", fixture());
            assertThat(option.status()).isEqualTo(2);
            assertThat(option.err()).contains("Unknown option '--jsno' for analyze",
                    "capture-packets analyze --help");
        }

        @Test
        @DisplayName("an unknown rule is named and every valid rule id is listed")
        void unknownRule() {
            CliRun run = CliRun.of("analyze", "--fail-on", "tcp.refused,tcp.rst", fixture());

            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).contains("Unknown rule 'tcp.rst'", "(in --fail-on)");
            for (Rule rule : Rule.values()) {
                assertThat(run.err()).contains(rule.id());
            }
            assertThat(run.out()).isEmpty();
        }

        @Test
        @DisplayName("a missing capture file is named with the path that was looked at")
        void missingFile() {
            CliRun run = CliRun.of("analyze", "no-such.pcap");

            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).contains("Capture file not found: no-such.pcap", "Check the path");
        }

        @Test
        @DisplayName("a file that is not a capture: the reader's message with the file and the offset")
        void notACapture() throws IOException {
            Path text = Files.writeString(dir.resolve("notes.txt"), "this is not a pcap\n");

            CliRun run = CliRun.of("analyze", "--json", dir.resolve("r.json").toString(), text.toString());

            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).contains(text.toString(), "at byte 0", "not a pcap or pcapng capture");
            assertThat(dir.resolve("r.json")).doesNotExist();
        }

        @Test
        @DisplayName("an empty file is an input error naming the file")
        void emptyFile() throws IOException {
            Path empty = Files.createFile(dir.resolve("empty.pcap"));

            CliRun run = CliRun.of("analyze", empty.toString());

            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).contains(empty.toString());
        }

        @Test
        @DisplayName("malformed option values name the option and the expected form")
        void badValues() {
            assertThat(CliRun.of("analyze", "--threshold", "tcp.reset", fixture()).err())
                    .contains("--threshold needs RULE=N");
            assertThat(CliRun.of("analyze", "--threshold", "tcp.reset=many", fixture()).err())
                    .contains("--threshold needs a whole number");
            assertThat(CliRun.of("analyze", "--threshold", "tcp.reset=-1", fixture()).err())
                    .contains("must be 0 or more");
            assertThat(CliRun.of("analyze", "--dns-timeout", "soon", fixture()).err())
                    .contains("--dns-timeout needs a duration like 500ms");
            assertThat(CliRun.of("analyze", "--max-retransmission-rate", "5", fixture()).err())
                    .contains("fraction from 0 to 1");
            assertThat(CliRun.of("analyze", "--max-flows", "x", fixture()).err()).contains("--max-flows");
            assertThat(CliRun.of("analyze", "--json", "-", "--html", "-", fixture()).err())
                    .contains("Only one report can go to stdout");
            assertThat(CliRun.of("analyze", "--json").err()).contains("Option --json needs a value");
            assertThat(CliRun.of("analyze", "--json", "a", "--json", "b", fixture()).err())
                    .contains("--json was given 2 times");
            assertThat(CliRun.of("analyze").err()).contains("No capture to analyze");
            assertThat(CliRun.of("analyze", "-").err()).contains("stdin");
            for (String[] args : List.of(new String[] {"analyze", "--threshold", "tcp.reset", fixture()},
                    new String[] {"analyze", "--dns-timeout", "soon", fixture()}, new String[] {"analyze"})) {
                assertThat(CliRun.of(args).status()).isEqualTo(2);
            }
        }

        @Test
        @DisplayName("durations are read in the forms the help shows")
        void durations() throws UsageException {
            assertThat(Arguments.duration("--x", "500ms")).hasMillis(500);
            assertThat(Arguments.duration("--x", "1.5s")).hasMillis(1500);
            assertThat(Arguments.duration("--x", "2m")).hasSeconds(120);
            assertThat(Arguments.duration("--x", "PT5S")).hasSeconds(5);
            assertThat(Arguments.duration("--x", "7")).hasSeconds(7);
        }
    }

    @Nested
    class Analyze {
        @Test
        @DisplayName("without --fail-on the verdict WARN exits 0 and the Markdown summary goes to stdout")
        void defaultExitsZero() {
            CliRun run = CliRun.of("analyze", fixture());

            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("### Capture Packets: WARN").contains("`tcp.refused`", "`http.5xx`");
            assertThat(run.err()).isEmpty();
        }

        @Test
        @DisplayName("a selected rule that fires exits 1 and says why on stderr; a threshold above its count exits 0")
        void failOn() {
            CliRun failed = CliRun.of("analyze", "-q", "--fail-on", "tcp.refused", fixture());
            assertThat(failed.status()).as(failed.toString()).isEqualTo(1);
            assertThat(failed.err()).startsWith("capture-packets: FAIL: tcp.refused x1");
            assertThat(failed.out()).isEmpty();

            assertThat(CliRun.of("analyze", "-q", "--fail-on", "tcp.refused", "--threshold", "tcp.refused=1",
                    fixture()).status()).isZero();
            assertThat(CliRun.of("analyze", "-q", "--fail-on", "dns.servfail,tls.alert", fixture()).status())
                    .isZero();
            assertThat(CliRun.of("analyze", "-q", "--fail-on", "http.5xx", fixture()).status()).isEqualTo(1);
            assertThat(CliRun.of("analyze", "-q", "--fail-on", "error", fixture()).status()).isEqualTo(1);
            assertThat(CliRun.of("analyze", "-q", "--fail-on=all", fixture()).status()).isEqualTo(1);
        }

        @Test
        @DisplayName("--json, --html and --markdown write their files (creating directories), agreeing on the verdict")
        void writesReports() throws IOException {
            Path json = dir.resolve("out/report.json");
            Path html = dir.resolve("out/report.html");
            Path md = dir.resolve("out/summary.md");

            CliRun run = CliRun.of("analyze", "--fail-on", "http.5xx", "--json", json.toString(), "--html",
                    html.toString(), "--markdown", md.toString(), fixture());

            assertThat(run.status()).isEqualTo(1);
            JsonNode report = JSON.readTree(json.toFile());
            assertThat(report.get("verdict").asText()).isEqualTo("FAIL");
            assertThat(report.get("packets").asLong()).isEqualTo(40);
            assertThat(report.get("sources").get(0).asText()).isEqualTo(fixture());
            assertThat(Files.readString(html)).contains("verdict-fail", "id=\"flows-table\"");
            assertThat(Files.readString(md)).startsWith("### Capture Packets: FAIL").isEqualTo(run.out());
        }

        @Test
        @DisplayName("'-' sends one report to stdout, alone, so it can be piped")
        void stdoutReport() throws IOException {
            CliRun run = CliRun.of("analyze", "--json", "-", fixture());

            assertThat(run.status()).isZero();
            JsonNode report = JSON.readTree(run.outBytes());
            assertThat(report.get("verdict").asText()).isEqualTo("WARN");
            assertThat(report.at("/stats/http/status/501").asLong()).isEqualTo(1);
        }

        @Test
        @DisplayName("options reach the analysis: --max-flows bounds the flows in the report")
        void optionsApplied() throws IOException {
            CliRun run = CliRun.of("analyze", "--max-flows", "1", "--dns-timeout", "2s", "--json", "-", fixture());

            JsonNode report = JSON.readTree(run.outBytes());
            assertThat(report.get("flows")).hasSize(1);
            assertThat(report.get("flowCount").asLong()).isGreaterThan(1);
        }

        @Test
        @DisplayName("a damaged capture is analyzed up to the damage, reported incomplete on stderr, and exits per the"
                + " verdict")
        void damagedCapture() throws IOException {
            Path truncated = truncated();
            Path json = dir.resolve("damaged.json");

            CliRun run = CliRun.of("analyze", "-q", "--json", json.toString(), truncated.toString());

            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.err()).contains("capture-packets: warning: " + truncated, "at byte",
                    "the capture is incomplete", "--fail-on capture.incomplete");
            JsonNode report = JSON.readTree(json.toFile());
            assertThat(report.get("complete").asBoolean()).isFalse();
            assertThat(report.get("packets").asLong()).isEqualTo(39);
            assertThat(report.get("problems").get(0).get("source").asText()).isEqualTo(truncated.toString());

            CliRun strict = CliRun.of("analyze", "-q", "--fail-on", "capture.incomplete", truncated.toString());
            assertThat(strict.status()).isEqualTo(1);
            assertThat(strict.err()).contains("FAIL: capture.incomplete");
        }

        @Test
        @DisplayName("a pcapng whose statistics count drops is reported capture.dropped and incomplete, on stderr, in"
                + " JSON and in the summary, and fails with --fail-on capture.dropped")
        void droppedPackets() throws IOException {
            Path merged = dir.resolve("capture.pcapng");
            PcapngWriter.merge(List.of(MergeSource.of(CliRun.fixture(), "shop/web-0").withDroppedPackets(346)),
                    merged, List.of());
            Path json = dir.resolve("dropped.json");

            CliRun run = CliRun.of("analyze", "--json", json.toString(), merged.toString());

            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.err()).contains("capture-packets: warning: interface shop/web-0 of capture.pcapng: the "
                    + "capture dropped 346 packets", "capture-packets: warning: the capture dropped 346 packets",
                    "--fail-on capture.dropped");
            // Read whole: not the damaged-file warning.
            assertThat(run.err()).doesNotContain("before the damage");
            assertThat(run.out()).contains("**Capture dropped packets:** the capture dropped 346 packets",
                    "| WARN | `capture.dropped` | 346 |");
            JsonNode report = JSON.readTree(json.toFile());
            assertThat(report.get("complete").asBoolean()).isFalse();
            assertThat(report.get("droppedPackets").asLong()).isEqualTo(346);
            JsonNode dropped = null;
            for (JsonNode verdict : report.get("verdicts")) {
                if (verdict.get("rule").asText().equals("capture.dropped")) {
                    dropped = verdict;
                }
            }
            assertThat(dropped).as(report.toString()).isNotNull();
            assertThat(dropped.get("count").asLong()).isEqualTo(346);
            assertThat(dropped.get("message").asText()).endsWith("interface shop/web-0 of capture.pcapng dropped 346 "
                    + "packets");

            CliRun strict = CliRun.of("analyze", "-q", "--fail-on", "capture.dropped", merged.toString());
            assertThat(strict.status()).isEqualTo(1);
            assertThat(strict.err()).contains("FAIL: capture.dropped x346");
        }
    }

    @Nested
    class Merge {
        @Test
        @DisplayName("merges captures into one pcapng, one named interface per source, with the comments")
        void mergesWithNames() throws IOException {
            Path second = Files.copy(CliRun.fixture(), dir.resolve("db-pod.pcap"));
            Path out = dir.resolve("merged/all.pcapng");

            CliRun run = CliRun.of("merge", "-o", out.toString(), "--name", "default/api=" + fixture(),
                    "--comment", "test CheckoutIT.pays", fixture(), second.toString());

            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.err()).isEmpty();
            try (CaptureReader reader = CaptureReader.open(out)) {
                List<Integer> interfaces = new ArrayList<>();
                Packet packet;
                while ((packet = reader.next()) != null) {
                    interfaces.add(packet.interfaceId());
                }
                assertThat(reader.interfaces()).extracting(CaptureInterface::name)
                        .containsExactly("default/api", "db-pod");
                assertThat(reader.sectionComments()).contains("test CheckoutIT.pays");
                assertThat(interfaces).hasSize(80);
                assertThat(interfaces.stream().collect(Collectors.groupingBy(id -> id, Collectors.counting())))
                        .containsEntry(0, 40L).containsEntry(1, 40L);
                assertThat(reader.complete()).isTrue();
            }
            assertThat(Files.list(out.getParent())).as("no partial file left").containsExactly(out);
        }

        @Test
        @DisplayName("files named with --name only are inputs too; '-o -' writes the pcapng to stdout")
        void nameOnlyAndStdout() throws IOException {
            CliRun run = CliRun.of("merge", "-o", "-", "--name", "ns/pod=" + fixture());

            assertThat(run.status()).as(run.err()).isZero();
            Path out = Files.write(dir.resolve("stdout.pcapng"), run.outBytes());
            try (CaptureReader reader = CaptureReader.open(out)) {
                assertThat(reader.interfaces()).isEmpty();
                assertThat(reader.next()).isNotNull();
                assertThat(reader.interfaces()).extracting(CaptureInterface::name).containsExactly("ns/pod");
            }
        }

        @Test
        @DisplayName("a damaged input is merged up to the damage, the problem goes to stderr, and the exit is 1")
        void damagedInput() throws IOException {
            Path truncated = truncated();
            Path out = dir.resolve("partial.pcapng");

            CliRun run = CliRun.of("merge", "-o", out.toString(), fixture(), truncated.toString());

            assertThat(run.status()).as(run.toString()).isEqualTo(1);
            assertThat(run.err()).contains(truncated.toString(), "at byte", out + " is incomplete");
            try (CaptureReader reader = CaptureReader.open(out)) {
                long packets = 0;
                while (reader.next() != null) {
                    packets++;
                }
                assertThat(packets).isEqualTo(79);
            }
        }

        @Test
        @DisplayName("merge usage errors exit 2 and write nothing")
        void usageErrors() throws IOException {
            Path out = dir.resolve("out.pcapng");
            Path text = Files.writeString(dir.resolve("notes.txt"), "not a capture");

            CliRun noOutput = CliRun.of("merge", fixture());
            assertThat(noOutput.status()).isEqualTo(2);
            assertThat(noOutput.err()).contains("Missing -o OUT.pcapng");

            CliRun notCapture = CliRun.of("merge", "-o", out.toString(), fixture(), text.toString());
            assertThat(notCapture.status()).isEqualTo(2);
            assertThat(notCapture.err()).contains(text.toString(), "at byte 0");
            assertThat(out).doesNotExist();

            CliRun sameFile = CliRun.of("merge", "-o", fixture(), fixture());
            assertThat(sameFile.status()).isEqualTo(2);
            assertThat(sameFile.err()).contains("is also an input");

            CliRun badName = CliRun.of("merge", "-o", out.toString(), "--name", "nameonly", fixture());
            assertThat(badName.status()).isEqualTo(2);
            assertThat(badName.err()).contains("--name needs NAME=FILE");

            CliRun twice = CliRun.of("merge", "-o", out.toString(), fixture(), fixture());
            assertThat(twice.status()).isEqualTo(2);
            assertThat(twice.err()).contains("was given twice");
            assertThat(out).doesNotExist();
        }

        @Test
        @DisplayName("the default interface name is the file name without its capture extension")
        void defaultNames() {
            assertThat(MergeCommand.defaultName(Path.of("/x/checkout.pcap"))).isEqualTo("checkout");
            assertThat(MergeCommand.defaultName(Path.of("db.PCAPNG"))).isEqualTo("db");
            assertThat(MergeCommand.defaultName(Path.of("trace.bin"))).isEqualTo("trace.bin");
        }
    }
}
