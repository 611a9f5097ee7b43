package io.github.capturepackets.pcap;

import java.util.List;
import java.util.Objects;

/**
 * One capture interface: the pcap file header, or one pcapng Interface Description Block.
 *
 * @param id interface id, unique in the file: counted across all pcapng sections in file order, so it equals
 *     Wireshark's {@code frame.interface_id} for single-section files (tshark 4.0 restarts the count in each
 *     further section); 0 for pcap
 * @param linkType decoded link type, {@link LinkType#UNKNOWN} when not supported
 * @param linkTypeCode the numeric {@code LINKTYPE_*} from the file
 * @param snapLength the snapshot length (0 = unlimited in pcapng)
 * @param name {@code if_name}, or {@code null}
 * @param description {@code if_description}, or {@code null}
 * @param timestampResolutionNanos nanoseconds per timestamp unit as written in the file ({@code if_tsresol}), for
 *     information; packet timestamps are already converted to nanoseconds
 * @param timestampOffsetSeconds {@code if_tsoffset}, already added to packet timestamps
 * @param comments {@code opt_comment} values of the block
 */
public record CaptureInterface(
        int id,
        LinkType linkType,
        int linkTypeCode,
        long snapLength,
        String name,
        String description,
        double timestampResolutionNanos,
        long timestampOffsetSeconds,
        List<String> comments) {

    public CaptureInterface {
        Objects.requireNonNull(linkType, "linkType");
        comments = List.copyOf(comments);
    }
}
