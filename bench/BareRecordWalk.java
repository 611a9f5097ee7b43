import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor for the benchmark: JVM start plus a walk over every pcap record header, no decoding.
 * usage: java $JAVA_OPTS bench/BareRecordWalk.java CAPTURE
 */
public class BareRecordWalk {
  public static void main(String[] args) throws IOException {
    byte[] buffer = new byte[4 << 20];
    long packets = 0;
    long bytes = 0;
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      ByteBuffer view = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
      int filled = in.readNBytes(buffer, 0, buffer.length);
      int pos = 24;
      while (true) {
        if (pos + 16 > filled || pos + 16 + view.getInt(pos + 8) > filled) {
          // Compact and refill so that the next whole record (at most 256 KB) is in the buffer.
          System.arraycopy(buffer, pos, buffer, 0, filled - pos);
          filled -= pos;
          pos = 0;
          int n = in.readNBytes(buffer, filled, buffer.length - filled);
          filled += n;
          if (n == 0) {
            break;
          }
          continue;
        }
        int caplen = view.getInt(pos + 8);
        packets++;
        bytes += caplen;
        pos += 16 + caplen;
      }
    }
    System.out.println(packets + " packets, " + bytes + " captured bytes");
  }
}
