package io.github.capturepackets.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code capture-packets} command line: {@code analyze} and {@code merge}. Run through the launcher script at
 * the repository root. Loads only the analysis, report and pcap classes (and Jackson's streaming core), never the
 * Kubernetes client, so it starts fast.
 */
public final class Main {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    private Main() {
    }

    public static void main(String[] args) {
        // UTF-8 whatever the locale: reports may carry names from the capture, and CI logs are UTF-8.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command and returns its exit status instead of exiting, so tests can run it in-process. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> arguments = Arrays.asList(args);
        try {
            if (arguments.isEmpty()) {
                err.print(help());
                return USAGE;
            }
            String command = arguments.get(0);
            List<String> rest = arguments.subList(1, arguments.size());
            switch (command) {
                case AnalyzeCommand.NAME:
                    return AnalyzeCommand.run(rest, out, err);
                case MergeCommand.NAME:
                    return MergeCommand.run(rest, out, err);
                case "--help", "-h":
                    out.print(help());
                    return OK;
                case "help":
                    return help(rest, out);
                case "--version", "-V", "version":
                    out.println("capture-packets " + version());
                    return OK;
                default:
                    throw new UsageException((command.startsWith("-") ? "Unknown option '" : "Unknown command '")
                            + command + "'. Commands: analyze, merge. Run 'capture-packets --help'.");
            }
        } catch (UsageException e) {
            err.println("capture-packets: " + e.getMessage());
            return USAGE;
        } catch (RuntimeException | Error e) {
            err.println("capture-packets: internal error: " + e + ". This is a bug; please report it with the stack"
                    + " trace below and, if you can, the capture.");
            e.printStackTrace(err);
            return INTERNAL;
        } finally {
            out.flush();
        }
    }

    private static int help(List<String> rest, PrintStream out) throws UsageException {
        if (rest.isEmpty()) {
            out.print(help());
        } else if (rest.get(0).equals(AnalyzeCommand.NAME)) {
            out.print(AnalyzeCommand.help());
        } else if (rest.get(0).equals(MergeCommand.NAME)) {
            out.print(MergeCommand.help());
        } else {
            throw new UsageException("No help for '" + rest.get(0) + "'. Commands: analyze, merge.");
        }
        return OK;
    }

    /** The version in the jar manifest, which the launcher runs; a class directory has none. */
    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version != null ? version : "(development build)";
    }

    static String help() {
        return """
                capture-packets: analyze and merge packet captures.

                Usage:
                  capture-packets analyze [OPTIONS] CAPTURE...         verdict, findings, JSON/Markdown/HTML reports
                  capture-packets merge -o OUT.pcapng [OPTIONS] CAPTURE...
                                                                       merge captures into one pcapng
                  capture-packets COMMAND --help                       the options of a command
                  capture-packets --version

                Exit status: 0 passed, 1 a rule selected with --fail-on failed (analyze) or an input was
                damaged (merge), 2 usage or input error (the message on stderr says what to fix), 3 internal error.
                """;
    }
}
