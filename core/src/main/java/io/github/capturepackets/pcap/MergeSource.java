package io.github.capturepackets.pcap;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One input of {@link PcapngWriter#merge}.
 *
 * @param file the capture (pcap or pcapng)
 * @param name the output interface name ({@code if_name}), for example {@code namespace/pod}; when the input has
 *     several interfaces, each becomes {@code name/inputInterfaceName} (or {@code name#index})
 * @param description the output {@code if_description}, or null
 * @param comments comments on the output interface(s)
 * @param droppedPackets packets the capture of this input dropped in its window (tcpdump's "dropped by kernel"),
 *     written as {@code isb_osdrop} of its (first) output interface so the merged file says what it misses; -1 when
 *     unknown, which keeps whatever counters the input carries
 */
public record MergeSource(Path file, String name, String description, List<String> comments, long droppedPackets) {

    public MergeSource {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a merge source needs a non-blank name (for example namespace/pod)");
        }
        if (droppedPackets < -1) {
            throw new IllegalArgumentException("droppedPackets of merge source " + name + " is " + droppedPackets
                    + ": give the packets its capture dropped (0 or more), or -1 when unknown.");
        }
        comments = List.copyOf(comments);
    }

    /** A source whose drops are unknown. */
    public MergeSource(Path file, String name, String description, List<String> comments) {
        this(file, name, description, comments, -1);
    }

    /** A source with just a file and an interface name. */
    public static MergeSource of(Path file, String name) {
        return new MergeSource(file, name, null, List.of());
    }

    /** This source with the packets its capture dropped (0 or more, or -1 when unknown). */
    public MergeSource withDroppedPackets(long dropped) {
        return new MergeSource(file, name, description, comments, dropped);
    }
}
