package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The word-at-a-time searches and comparisons find exactly what byte loops find")
class PayloadsTest {

    private static final byte[] ALPHABET = " \r\n\nAaz0/:-\u0000\u0080\u00ff\u0020\u000b\u001f\u0021".getBytes(
            StandardCharsets.ISO_8859_1);

    @Test
    @DisplayName("indexOfNewline agrees with a byte loop on 200,000 random ranges")
    void searchesAgreeWithByteLoops() {
        SplittableRandom random = new SplittableRandom(20261121);
        byte[] d = new byte[96];
        for (int round = 0; round < 200_000; round++) {
            // Sparse targets, and bytes one off them, to catch borrows between lanes.
            int density = 1 + random.nextInt(40);
            for (int k = 0; k < d.length; k++) {
                d[k] = random.nextInt(density) == 0 ? ALPHABET[random.nextInt(ALPHABET.length)]
                        : (byte) random.nextInt(256);
            }
            int from = random.nextInt(d.length);
            int end = from + random.nextInt(d.length - from + 1);
            assertThat(Payloads.indexOfNewline(d, from, end)).isEqualTo(naive(d, from, end));
        }
    }

    @Test
    @DisplayName("The eight-bytes-at-a-time Content-Length name check agrees with the byte loop on 200,000 cases")
    void contentLengthNameAgreesWithByteLoop() {
        SplittableRandom random = new SplittableRandom(20261122);
        byte[] name = "Content-Length: 12".getBytes(StandardCharsets.ISO_8859_1);
        byte[] d = new byte[48];
        int matches = 0;
        for (int round = 0; round < 200_000; round++) {
            for (int k = 0; k < d.length; k++) {
                d[k] = (byte) random.nextInt(256);
            }
            int at = random.nextInt(d.length);
            for (int k = 0; k < name.length && at + k < d.length; k++) {
                // Either case, and now and then a byte one bit off (0x20 is the bit the comparison ignores).
                byte b = random.nextBoolean() ? name[k] : (byte) (name[k] ^ 0x20);
                d[at + k] = random.nextInt(24) == 0 ? (byte) (b ^ (1 << random.nextInt(8))) : b;
            }
            int end = at + random.nextInt(d.length - at + 1);
            boolean expected = namedContentLength(d, at, end);
            assertThat(Payloads.isContentLength(d, at, end)).as("round %d", round).isEqualTo(expected);
            matches += expected ? 1 : 0;
        }
        assertThat(matches).as("cases that are a Content-Length name").isGreaterThan(20_000);
    }

    /**
     * The oracle, written from the rule and not from Payloads: the 15 bytes of "content-length:" fit before
     * {@code end} and each byte equals the name's byte with bit 0x20 ignored (so 'C' and 'c' match, and so do
     * bytes that differ from the name in that bit only, which the header scan never meets in practice).
     */
    private static boolean namedContentLength(byte[] d, int at, int end) {
        String name = "content-length:";
        if (end - at < name.length()) {
            return false;
        }
        for (int k = 0; k < name.length(); k++) {
            if ((d[at + k] & ~0x20) != (name.charAt(k) & ~0x20)) {
                return false;
            }
        }
        return true;
    }

    @Test
    @DisplayName("A request line is recognised with its method, and a line without a version is not")
    void requestLines() {
        byte[] get = "GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Payloads.httpRequest(get, 0, get.length)).isEqualTo(3);
        byte[] longTarget = ("PROPFIND /" + "a".repeat(300) + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(Payloads.httpRequest(longTarget, 0, longTarget.length)).isEqualTo(8);
        byte[] noVersion = "GET /status/200\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Payloads.httpRequest(noVersion, 0, noVersion.length)).isZero();
        byte[] emptyTarget = "GET  HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Payloads.httpRequest(emptyTarget, 0, emptyTarget.length)).isZero();
    }

    private static int naive(byte[] d, int from, int end) {
        for (int i = from; i < end; i++) {
            if (d[i] == '\n') {
                return i;
            }
        }
        return end;
    }
}
