package io.github.capturepackets.e2e;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Small checks on raw pcap bytes for the e2e tests (the real reader lives in the main code). */
public final class E2ePcap {

  /** tcpdump -i any on Linux writes LINUX_SLL2. */
  public static final int LINKTYPE_LINUX_SLL2 = 276;
  /** Size of the pcap file header. */
  public static final int HEADER_LENGTH = 24;

  private E2ePcap() {}

  /** True when the bytes start with a classic pcap header (either byte order, micro or nano seconds). */
  public static boolean hasPcapHeader(byte[] pcap) {
    if (pcap.length < HEADER_LENGTH) {
      return false;
    }
    int magic = ByteBuffer.wrap(pcap, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
    return magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  }

  /** The link type from the file header. */
  public static int linkType(byte[] pcap) {
    if (!hasPcapHeader(pcap)) {
      throw new IllegalArgumentException("not a pcap file: " + pcap.length + " bytes");
    }
    int magic = ByteBuffer.wrap(pcap, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
    ByteOrder order = (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    return ByteBuffer.wrap(pcap, 20, 4).order(order).getInt();
  }

  /** True when the ASCII text occurs anywhere in the bytes (for example an HTTP request line in a payload). */
  public static boolean containsAscii(byte[] pcap, String text) {
    return StreamedCapture.contains(pcap, text.getBytes(StandardCharsets.US_ASCII));
  }

  /** Lower-case hex SHA-256, as sha256sum prints it. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
