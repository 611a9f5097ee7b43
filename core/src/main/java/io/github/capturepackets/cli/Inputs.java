package io.github.capturepackets.cli;

import io.github.capturepackets.pcap.CaptureFormatException;
import io.github.capturepackets.pcap.CaptureReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Checks capture arguments before any work starts, so a typo costs nothing and says what to fix. */
final class Inputs {
    private Inputs() {
    }

    static List<Path> captures(List<String> operands) throws UsageException {
        List<Path> captures = new ArrayList<>(operands.size());
        for (String operand : operands) {
            captures.add(capture(operand));
        }
        return captures;
    }

    /**
     * A capture file that exists and starts like a capture. Opening reads only the file header; damage further in
     * is left to the analysis, which keeps the packets before it.
     */
    static Path capture(String operand) throws UsageException {
        if (operand.equals("-")) {
            throw new UsageException("Reading a capture from stdin ('-') is not supported: save it to a file first "
                    + "(for example tcpdump -w capture.pcap) and give the file.");
        }
        Path path;
        try {
            path = Path.of(operand);
        } catch (InvalidPathException e) {
            throw new UsageException("'" + operand + "' is not a valid file name: " + e.getReason() + ".", e);
        }
        if (!Files.exists(path)) {
            throw new UsageException("Capture file not found: " + operand + " (looked in " + path.toAbsolutePath()
                    + "). Check the path.");
        }
        if (Files.isDirectory(path)) {
            throw new UsageException(operand + " is a directory, not a capture file. Give the pcap or pcapng files in "
                    + "it, for example " + path.resolve("*.pcap") + ".");
        }
        if (!Files.isReadable(path)) {
            throw new UsageException("Cannot read " + operand + ": permission denied. Check the file's permissions "
                    + "(captures written by tcpdump as root are often mode 600).");
        }
        try {
            CaptureReader.probe(path);
            return path;
        } catch (CaptureFormatException e) {
            throw new UsageException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UsageException("Cannot read " + operand + ": " + e + ". Check that the file is readable.", e);
        }
    }
}
