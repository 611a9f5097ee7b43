package io.github.capturepackets.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The committed real captures under src/test/resources/pcap and helpers to walk their structure. */
final class Fixtures {

    static final String ETHERNET = "lo-ethernet-s128.pcap";
    static final String ETHERNET_NANOS = "lo-ethernet-nanos-s128.pcap";
    static final String SLL2 = "any-sll2-s128.pcap";
    static final String SLL = "any-sll-s128.pcap";
    static final String MERGECAP = "mergecap-three-link-types.pcapng";
    static final List<String> ALL = List.of(ETHERNET, ETHERNET_NANOS, SLL2, SLL, MERGECAP);

    private Fixtures() {}

    static Path path(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/pcap/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/pcap/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Offsets of the record headers of a little-endian pcap file. */
    static List<Integer> pcapRecordOffsets(byte[] pcap) {
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> offsets = new ArrayList<>();
        int o = 24;
        while (o + 16 <= pcap.length) {
            offsets.add(o);
            o += 16 + b.getInt(o + 8);
        }
        return offsets;
    }

    /** Offsets and types of the blocks of a little-endian pcapng file: {offset, type} pairs. */
    static List<int[]> pcapngBlocks(byte[] pcapng) {
        ByteBuffer b = ByteBuffer.wrap(pcapng).order(ByteOrder.LITTLE_ENDIAN);
        List<int[]> blocks = new ArrayList<>();
        int o = 0;
        while (o + 12 <= pcapng.length) {
            blocks.add(new int[] {o, b.getInt(o)});
            o += b.getInt(o + 4);
        }
        return blocks;
    }
}
