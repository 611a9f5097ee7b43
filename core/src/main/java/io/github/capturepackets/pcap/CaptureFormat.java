package io.github.capturepackets.pcap;

/** The container format of a capture file. */
public enum CaptureFormat {
    /** Classic libpcap format (either byte order, microsecond or nanosecond timestamps). */
    PCAP,
    /** pcapng (one or more sections, several interfaces). */
    PCAPNG
}
