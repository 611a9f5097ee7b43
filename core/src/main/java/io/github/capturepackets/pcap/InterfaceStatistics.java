package io.github.capturepackets.pcap;

/**
 * Counters from a pcapng Interface Statistics Block; each is -1 when the block does not carry it.
 *
 * @param interfaceId the interface, numbered as in {@link CaptureInterface#id()}
 * @param timestampNanos when the counters were taken (epoch nanoseconds), or -1
 * @param received {@code isb_ifrecv}: packets received by the interface
 * @param dropped {@code isb_ifdrop}: packets dropped by the interface for lack of resources
 * @param filterAccepted {@code isb_filteraccept}: packets accepted by the capture filter
 * @param osDropped {@code isb_osdrop}: packets dropped by the operating system (tcpdump's "dropped by kernel")
 * @param delivered {@code isb_usrdeliv}: packets delivered to the capturing program
 */
public record InterfaceStatistics(
        int interfaceId,
        long timestampNanos,
        long received,
        long dropped,
        long filterAccepted,
        long osDropped,
        long delivered) {}
