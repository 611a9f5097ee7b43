package io.github.capturepackets.pcap;

/** Receives packets from a {@link CaptureReader}, one at a time, in file order. */
@FunctionalInterface
public interface PacketHandler {

    /**
     * Handles one packet.
     *
     * @param packet the reader's reusable packet: valid only during this call; copy what you keep
     *     ({@link Packet#copy()} or the primitive fields)
     * @return {@code true} to continue reading, {@code false} to stop early
     */
    boolean onPacket(Packet packet);
}
