package io.github.capturepackets.analysis;

/**
 * Something wrong with a capture file: where, and what. The packets before it were still analyzed.
 *
 * @param source the capture file (or stream) name
 * @param offset the byte offset where the problem was found, or -1
 * @param message what was wrong and what to do about it
 */
public record CaptureProblem(String source, long offset, String message) {
}
