package io.github.capturepackets.cli;

import io.github.capturepackets.pcap.CaptureProblem;
import io.github.capturepackets.pcap.MergeResult;
import io.github.capturepackets.pcap.MergeSource;
import io.github.capturepackets.pcap.PcapngWriter;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code capture-packets merge}: several captures into one pcapng, one interface per source. */
final class MergeCommand {
    static final String NAME = "merge";

    private static final List<String> VALUED = List.of("--output", "--name", "--comment");
    private static final List<String> FLAGS = List.of("--help");
    private static final Map<String, String> ALIASES = Map.of("-o", "--output", "-h", "--help");

    private MergeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        Arguments parsed = Arguments.parse(NAME, args, VALUED, FLAGS, ALIASES);
        if (parsed.has("--help")) {
            out.print(help());
            return Main.OK;
        }
        String output = parsed.single("--output");
        if (output == null) {
            throw new UsageException("Missing -o OUT.pcapng: say where to write the merged capture (- for stdout). "
                    + Arguments.help(NAME));
        }

        // Inputs in command-line order: operands first, then files only named with --name.
        Map<Path, String> names = new LinkedHashMap<>();
        for (String assignment : parsed.all("--name")) {
            int equals = assignment.indexOf('=');
            if (equals <= 0 || equals == assignment.length() - 1) {
                throw new UsageException("Option --name needs NAME=FILE (for example default/checkout=checkout.pcap), "
                        + "got '" + assignment + "'.");
            }
            Path file = Inputs.capture(assignment.substring(equals + 1));
            String previous = names.put(key(file), assignment.substring(0, equals));
            if (previous != null) {
                throw new UsageException("File " + file + " was named twice (" + previous + ", "
                        + assignment.substring(0, equals) + "). Give each file one --name.");
            }
        }
        List<Path> files = new ArrayList<>();
        for (String operand : parsed.operands) {
            Path file = Inputs.capture(operand);
            if (files.stream().anyMatch(known -> key(known).equals(key(file)))) {
                throw new UsageException("Capture " + operand + " was given twice. Give each capture once.");
            }
            files.add(file);
        }
        for (Path named : names.keySet()) {
            if (files.stream().noneMatch(known -> key(known).equals(named))) {
                files.add(named);
            }
        }
        if (files.isEmpty()) {
            throw new UsageException("No capture to merge. Give the captures as arguments, for example "
                    + "'capture-packets merge -o all.pcapng a.pcap b.pcap'. " + Arguments.help(NAME));
        }
        List<MergeSource> sources = new ArrayList<>();
        for (Path file : files) {
            String name = names.get(key(file));
            sources.add(MergeSource.of(file, name != null ? name : defaultName(file)));
        }
        List<String> comments = parsed.all("--comment");

        MergeResult result = output.equals("-") ? mergeToStdout(sources, out, comments)
                : mergeToFile(sources, Path.of(output), files, comments);

        for (CaptureProblem problem : result.problems()) {
            err.println("capture-packets: warning: " + problem.message());
        }
        if (!result.complete()) {
            err.println("capture-packets: warning: " + output + " is incomplete: the packets before each damage were"
                    + " merged, and the file's interface statistics comments say what is missing.");
            return Main.FAILED;
        }
        return Main.OK;
    }

    private static MergeResult mergeToStdout(List<MergeSource> sources, PrintStream out, List<String> comments)
            throws UsageException {
        // The writer closes its stream; stdout must stay open for the rest of the process.
        OutputStream keepOpen = new FilterOutputStream(out) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
        try {
            return PcapngWriter.merge(sources, new BufferedOutputStream(keepOpen, 1 << 16), comments);
        } catch (IOException e) {
            throw new UsageException("Cannot write the merged capture to stdout: " + e + ".", e);
        }
    }

    /** Writes next to the target and moves into place, so a failed merge never leaves a half-written file. */
    private static MergeResult mergeToFile(List<MergeSource> sources, Path output, List<Path> inputs,
            List<String> comments) throws UsageException {
        for (Path input : inputs) {
            if (key(input).equals(key(output))) {
                throw new UsageException("The output " + output + " is also an input. Write the merge to another "
                        + "file.");
            }
        }
        if (Files.isDirectory(output)) {
            throw new UsageException("The output " + output + " is a directory. Give a file name, for example "
                    + output.resolve("merged.pcapng") + ".");
        }
        Path directory = output.toAbsolutePath().getParent();
        Path partial = null;
        try {
            Files.createDirectories(directory);
            partial = Files.createTempFile(directory, "." + output.getFileName(), ".part");
            MergeResult result = PcapngWriter.merge(sources, partial, comments);
            try {
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING);
            }
            return result;
        } catch (IOException e) {
            throw new UsageException("Cannot write the merged capture to " + output + ": " + e + ". Check that the "
                    + "directory is writable and has space.", e);
        } finally {
            if (partial != null) {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException ignored) {
                    // Best effort: a leftover hidden .part file is harmless and named after the output.
                }
            }
        }
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    /** {@code checkout.pcap} becomes {@code checkout}: the interface name Wireshark shows. */
    static String defaultName(Path file) {
        String name = file.getFileName().toString();
        for (String extension : new String[] {".pcapng", ".pcap", ".cap"}) {
            if (name.length() > extension.length() && name.toLowerCase(Locale.ROOT).endsWith(extension)) {
                return name.substring(0, name.length() - extension.length());
            }
        }
        return name;
    }

    static String help() {
        return """
                Usage: capture-packets merge -o OUT.pcapng [OPTIONS] CAPTURE...

                Merges pcap and pcapng captures into one pcapng file in time order, one interface per source, that
                Wireshark and tshark read as they are. Each interface is named after its source (--name, or the
                file name without extension), so a filter like frame.interface_name == "default/checkout" picks one
                pod. Inputs are streamed: any size works.

                Options:
                  -o, --output FILE    the pcapng file to write (required); - writes to stdout, for example
                                       to pipe into 'wireshark -k -i -'
                  --name NAME=FILE     name FILE's interface NAME (for example default/checkout-7d9f=checkout.pcap);
                                       FILE is added to the inputs when not given as CAPTURE; repeatable
                  --comment TEXT       a comment on the merged file (its section header); repeatable
                  -h, --help           show this help

                Exit status:
                  0  every input was merged completely
                  1  the output was written, but an input was damaged part-way: the packets before the damage are
                     merged, the problem is printed on stderr and written as a comment in the file
                  2  usage or input error: unknown option, a missing file, a file that is not a capture (or is
                     empty), an unwritable output; nothing is written

                Example:
                  capture-packets merge -o all.pcapng --name default/api=api.pcap --name default/db=db.pcap \\
                      --comment "test CheckoutIT.pays" api.pcap db.pcap
                """;
    }
}
