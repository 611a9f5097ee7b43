/**
 * Reading and writing packet captures: a streaming, allocation-free pcap/pcapng reader with header decoding,
 * and a pcapng writer that merges captures.
 *
 * <h2>Reading</h2>
 * <pre>{@code
 * try (CaptureReader reader = CaptureReader.open(path)) {      // or open(inputStream, "namespace/pod")
 *     reader.read(packet -> {                                   // or: while ((p = reader.next()) != null)
 *         if (packet.isTcp() && packet.hasFlags(Packet.RST)) { ... }
 *         return true;                                          // false stops early
 *     });
 *     if (!reader.complete()) { ... reader.problems() ... }     // damage after the header: partial capture
 * }
 * }</pre>
 * {@link io.github.capturepackets.pcap.Packet} is a flyweight reused for every packet: copy what you keep.
 *
 * <p>Files of 16 MB or more are read ahead on a second thread (transparently); framing, decoding and the handler
 * run on the caller's thread. (Decoding on a third thread, in batches handed to the handler, was tried and
 * removed: on two cores it used more CPU than it moved off the handler's thread, and the analysis was slower.)
 *
 * <h2>Bad input</h2>
 * <ul>
 *   <li>Fatal at start ({@link io.github.capturepackets.pcap.CaptureReader#open} throws
 *       {@link io.github.capturepackets.pcap.CaptureFormatException}): an empty input, an input that is not
 *       pcap/pcapng (gzip and the old Kuznetzov format are named), a cut-off or damaged file header.
 *   <li>Partial (reading ends normally, {@code complete()} is false, {@code problems()} says where): a truncated
 *       tail, a corrupt record or block length (longer than {@link io.github.capturepackets.pcap.CaptureReader#MAX_PACKET_LENGTH}
 *       for packets, not a multiple of 4, trailing length mismatch), a block naming an undeclared interface, an
 *       I/O error while streaming. All packets before the damage have been delivered.
 *   <li>Not damage: an unsupported link type (packets delivered with
 *       {@link io.github.capturepackets.pcap.DecodeError#UNSUPPORTED_LINK_TYPE}, one problem listed), and
 *       malformed headers inside a packet ({@link io.github.capturepackets.pcap.Packet#decodeError()}).
 * </ul>
 * Corrupt lengths never allocate: the buffer grows only when it is full of real input and one valid record
 * needs more room.
 *
 * <h2>Testing and measuring</h2>
 * Fuzzing: {@code ./mvnw -B -q -pl core test -Dtest=CaptureFuzzTest -Dcapturepackets.fuzz.iterations=1000000}.
 * Timing: {@code java -cp core/target/classes:core/target/test-classes io.github.capturepackets.pcap.DecodeBench
 * --repeat 3 FILE}.
 */
package io.github.capturepackets.pcap;
