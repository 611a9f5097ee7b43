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
 */
public record MergeSource(Path file, String name, String description, List<String> comments) {

    public MergeSource {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a merge source needs a non-blank name (for example namespace/pod)");
        }
        comments = List.copyOf(comments);
    }

    /** A source with just a file and an interface name. */
    public static MergeSource of(Path file, String name) {
        return new MergeSource(file, name, null, List.of());
    }
}
