package io.github.capturepackets.capture;

/**
 * tcpdump's own closing counters, as it prints them when it stops.
 *
 * @param captured         packets captured
 * @param receivedByFilter packets received by filter
 * @param droppedByKernel  packets dropped by kernel
 */
public record TcpdumpCounters(long captured, long receivedByFilter, long droppedByKernel) {
}
