package io.github.capturepackets.analysis;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Cheap recognisers for application payloads, working on the reader's byte array in place. Nothing here allocates
 * unless it returns a String, which callers ask for only when they report something.
 */
final class Payloads {
    private Payloads() {
    }

    // ---- HTTP/1.x ----

    private static final byte[][] METHODS = ascii("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH",
            "CONNECT", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH");

    private static byte[][] ascii(String... words) {
        byte[][] out = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            out[i] = words[i].getBytes(StandardCharsets.US_ASCII);
        }
        return out;
    }

    /** The status code when the bytes start with {@code HTTP/1.x SP 3DIGIT}, else -1. */
    static int httpStatus(byte[] d, int off, int len) {
        if (len < 12 || d[off] != 'H' || d[off + 1] != 'T' || d[off + 2] != 'T' || d[off + 3] != 'P'
                || d[off + 4] != '/' || d[off + 5] != '1' || d[off + 6] != '.' || !digit(d[off + 7])
                || d[off + 8] != ' ' || !digit(d[off + 9]) || !digit(d[off + 10]) || !digit(d[off + 11])) {
            return -1;
        }
        if (len > 12 && d[off + 12] != ' ' && d[off + 12] != '\r' && d[off + 12] != '\n') {
            return -1;
        }
        return (d[off + 9] - '0') * 100 + (d[off + 10] - '0') * 10 + (d[off + 11] - '0');
    }

    /**
     * The method's length when the bytes start with a request line {@code METHOD SP URI SP HTTP/1.x}, else 0.
     */
    static int httpRequest(byte[] d, int off, int len) {
        if (len < 14 || d[off] < 'A' || d[off] > 'Z') {
            return 0;
        }
        int methodLength = 0;
        for (byte[] m : METHODS) {
            if (m[0] == d[off] && m.length < len && d[off + m.length] == ' ' && regionEquals(d, off, m)) {
                methodLength = m.length;
                break;
            }
        }
        if (methodLength == 0) {
            return 0;
        }
        int limit = Math.min(len, 8192);
        int i = methodLength + 1;
        while (i < limit && d[off + i] != ' ' && d[off + i] != '\r' && d[off + i] != '\n') {
            i++;
        }
        if (i == methodLength + 1 || i >= limit || d[off + i] != ' ') {
            return 0;
        }
        int v = off + i + 1;
        if (i + 1 + 8 > len || d[v] != 'H' || d[v + 1] != 'T' || d[v + 2] != 'T' || d[v + 3] != 'P' || d[v + 4] != '/'
                || d[v + 5] != '1' || d[v + 6] != '.' || !digit(d[v + 7])) {
            return 0;
        }
        return methodLength;
    }

    static String requestTarget(byte[] d, int off, int len, int methodLength) {
        int start = off + methodLength + 1;
        int end = start;
        int limit = off + Math.min(len, 8192);
        while (end < limit && d[end] != ' ') {
            end++;
        }
        int max = Math.min(end - start, 200);
        return new String(d, off, methodLength, StandardCharsets.US_ASCII) + " "
                + new String(d, start, max, StandardCharsets.ISO_8859_1);
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean regionEquals(byte[] d, int off, byte[] word) {
        for (int i = 0; i < word.length; i++) {
            if (d[off + i] != word[i]) {
                return false;
            }
        }
        return true;
    }

    /** Offset just after the blank line ending the header block, or -1 when it is not within the bytes. */
    static int headerEnd(byte[] d, int off, int len) {
        int end = off + len - 3;
        for (int i = off; i < end; i++) {
            if (d[i] == '\r' && d[i + 1] == '\n' && d[i + 2] == '\r' && d[i + 3] == '\n') {
                return i + 4 - off;
            }
        }
        return -1;
    }

    /** What one pass over an HTTP header block found; reused, so scanning allocates nothing. */
    static final class Headers {
        /** Length of the header block including the blank line, or -1 when it does not end in the bytes. */
        int length;
        /** Content-Length, or -1. */
        long contentLength;
        boolean chunked;
    }

    private static final byte[] CL_NAME = "content-length:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TE_NAME = "transfer-encoding:".getBytes(StandardCharsets.US_ASCII);

    /**
     * Scans an HTTP header block once, from the start line: where it ends, and the Content-Length and
     * Transfer-Encoding it declares (as far as the bytes go when it does not end within them).
     */
    static void scanHeaders(byte[] d, int off, int len, Headers h) {
        h.length = -1;
        h.contentLength = -1;
        h.chunked = false;
        int end = off + len;
        int i = off;
        while (true) {
            i = indexOfNewline(d, i, end);
            if (++i >= end) {
                return;
            }
            byte c = d[i];
            if (c == '\r') {
                if (i + 1 < end && d[i + 1] == '\n') {
                    h.length = i + 2 - off;
                }
                return;
            }
            int lower = c | 0x20;
            if (lower == 'c' && isContentLength(d, i, end)) {
                int v = i + CL_NAME.length;
                while (v < end && (d[v] == ' ' || d[v] == '\t')) {
                    v++;
                }
                long value = 0;
                int digits = 0;
                while (v < end && digit(d[v]) && digits < 18) {
                    value = value * 10 + (d[v] - '0');
                    v++;
                    digits++;
                }
                if (digits > 0) {
                    h.contentLength = value;
                }
            } else if (lower == 't' && startsWithIgnoreCase(d, i, end, TE_NAME)) {
                for (int v = i + TE_NAME.length; v + 7 <= end && d[v] != '\r' && d[v] != '\n'; v++) {
                    if ((d[v] | 0x20) == 'c' && (d[v + 1] | 0x20) == 'h' && (d[v + 2] | 0x20) == 'u'
                            && (d[v + 3] | 0x20) == 'n' && (d[v + 4] | 0x20) == 'k' && (d[v + 5] | 0x20) == 'e'
                            && (d[v + 6] | 0x20) == 'd') {
                        h.chunked = true;
                        break;
                    }
                }
            }
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    /** The index of the next {@code '\n'} from {@code i}, or {@code end}; eight bytes per step (SWAR). */
    static int indexOfNewline(byte[] d, int i, int end) {
        while (i + 8 <= end) {
            long x = (long) LONGS.get(d, i) ^ 0x0a0a0a0a0a0a0a0aL;
            long zero = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
            if (zero != 0) {
                return i + (Long.numberOfTrailingZeros(zero) >>> 3);
            }
            i += 8;
        }
        while (i < end && d[i] != '\n') {
            i++;
        }
        return i;
    }

    /** "content-" and "length:" as little-endian longs (the second one's eighth byte zero), for {@link #LONGS}. */
    private static final long CONTENT_DASH = asciiLong("content-");
    private static final long LENGTH_COLON = asciiLong("length:");

    private static long asciiLong(String s) {
        long v = 0;
        for (int k = s.length() - 1; k >= 0; k--) {
            v = v << 8 | s.charAt(k);
        }
        return v;
    }

    /**
     * Whether a Content-Length header name starts at {@code i}, compared as {@link #startsWithIgnoreCase} does
     * (each byte OR 0x20) but eight bytes at a time: most header lines start with 'c' (Content-Type, Connection,
     * Cache-Control), and every response has one.
     */
    static boolean isContentLength(byte[] d, int i, int end) {
        if (i + 16 > end) {
            return startsWithIgnoreCase(d, i, end, CL_NAME);
        }
        return ((long) LONGS.get(d, i) | 0x2020202020202020L) == CONTENT_DASH
                && (((long) LONGS.get(d, i + 8) | 0x0020202020202020L) & 0x00ffffffffffffffL) == LENGTH_COLON;
    }

    static boolean startsWithIgnoreCase(byte[] d, int i, int end, byte[] lowerName) {
        if (i + lowerName.length > end) {
            return false;
        }
        for (int k = 0; k < lowerName.length; k++) {
            if ((d[i + k] | 0x20) != lowerName[k]) {
                return false;
            }
        }
        return true;
    }

    private static final byte[] CONTENT_LENGTH = "\ncontent-length:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING = "\ntransfer-encoding:".getBytes(StandardCharsets.US_ASCII);

    /** The Content-Length header's value within the header block, or -1. */
    static long contentLength(byte[] d, int off, int headerLength) {
        int at = findHeader(d, off, headerLength, CONTENT_LENGTH);
        if (at < 0) {
            return -1;
        }
        int i = at;
        int end = off + headerLength;
        while (i < end && (d[i] == ' ' || d[i] == '\t')) {
            i++;
        }
        long value = 0;
        int digits = 0;
        while (i < end && digit(d[i]) && digits < 18) {
            value = value * 10 + (d[i] - '0');
            i++;
            digits++;
        }
        return digits == 0 ? -1 : value;
    }

    /** Whether the header block says {@code Transfer-Encoding: chunked}. */
    static boolean chunked(byte[] d, int off, int headerLength) {
        int at = findHeader(d, off, headerLength, TRANSFER_ENCODING);
        if (at < 0) {
            return false;
        }
        int end = off + headerLength;
        for (int i = at; i + 7 <= end && d[i] != '\r'; i++) {
            if ((d[i] | 0x20) == 'c' && (d[i + 1] | 0x20) == 'h' && (d[i + 2] | 0x20) == 'u'
                    && (d[i + 3] | 0x20) == 'n' && (d[i + 4] | 0x20) == 'k' && (d[i + 5] | 0x20) == 'e'
                    && (d[i + 6] | 0x20) == 'd') {
                return true;
            }
        }
        return false;
    }

    /** Whether the bytes end with the last chunk of a chunked body ({@code 0 CRLF CRLF}). */
    static boolean endsChunkedBody(byte[] d, int off, int len) {
        return len >= 5 && d[off + len - 5] == '0' && d[off + len - 4] == '\r' && d[off + len - 3] == '\n'
                && d[off + len - 2] == '\r' && d[off + len - 1] == '\n';
    }

    private static int findHeader(byte[] d, int off, int len, byte[] name) {
        int end = off + len - name.length;
        for (int i = off; i <= end; i++) {
            if (d[i] != '\n') {
                continue;
            }
            boolean match = true;
            for (int k = 1; k < name.length; k++) {
                if ((d[i + k] | 0x20) != name[k]) {
                    match = false;
                    break;
                }
            }
            if (match) {
                return i + name.length;
            }
        }
        return -1;
    }

    // ---- TLS ----

    /** Whether a TLS record header (type 20..24, version 3.0..3.4, plausible length) starts here. */
    static boolean tlsRecord(byte[] d, int off, int len) {
        if (len < 5) {
            return false;
        }
        int type = d[off] & 0xff;
        int recordLength = ((d[off + 3] & 0xff) << 8) | (d[off + 4] & 0xff);
        return type >= 20 && type <= 24 && d[off + 1] == 3 && (d[off + 2] & 0xff) <= 4 && recordLength > 0
                && recordLength <= 18432;
    }

    static String tlsVersionName(int version) {
        switch (version) {
            case 0x0300:
                return "SSL 3.0";
            case 0x0301:
                return "TLS 1.0";
            case 0x0302:
                return "TLS 1.1";
            case 0x0303:
                return "TLS 1.2";
            case 0x0304:
                return "TLS 1.3";
            default:
                String hex = Integer.toHexString(version);
                return "0x" + "0000".substring(Math.min(4, hex.length())) + hex;
        }
    }

    /** Alert description names as Wireshark prints them. */
    static String tlsAlertName(int description) {
        switch (description) {
            case 0:
                return "Close Notify";
            case 10:
                return "Unexpected Message";
            case 20:
                return "Bad Record MAC";
            case 21:
                return "Decryption Failed";
            case 22:
                return "Record Overflow";
            case 30:
                return "Decompression Failure";
            case 40:
                return "Handshake Failure";
            case 41:
                return "No Certificate";
            case 42:
                return "Bad Certificate";
            case 43:
                return "Unsupported Certificate";
            case 44:
                return "Certificate Revoked";
            case 45:
                return "Certificate Expired";
            case 46:
                return "Certificate Unknown";
            case 47:
                return "Illegal Parameter";
            case 48:
                return "Unknown CA";
            case 49:
                return "Access Denied";
            case 50:
                return "Decode Error";
            case 51:
                return "Decrypt Error";
            case 60:
                return "Export Restriction";
            case 70:
                return "Protocol Version";
            case 71:
                return "Insufficient Security";
            case 80:
                return "Internal Error";
            case 86:
                return "Inappropriate Fallback";
            case 90:
                return "User Canceled";
            case 100:
                return "No Renegotiation";
            case 109:
                return "Missing Extension";
            case 110:
                return "Unsupported Extension";
            case 112:
                return "Unrecognized Name";
            case 113:
                return "Bad Certificate Status Response";
            case 115:
                return "Unknown PSK Identity";
            case 116:
                return "Certificate Required";
            case 120:
                return "No Application Protocol";
            default:
                return "Unknown (" + description + ")";
        }
    }

    /**
     * Parses a ClientHello handshake message held whole in {@code d[off..off+len)} (starting at the handshake
     * type byte). Returns {@code {serverName, highestVersionName}}, either possibly null, or null when it is not a
     * well-formed ClientHello.
     */
    static String[] clientHello(byte[] d, int off, int len) {
        if (len < 4 || d[off] != 1) {
            return null;
        }
        int end = off + Math.min(len, 4 + u24(d, off + 1));
        int p = off + 4;
        if (p + 2 > end) {
            return null;
        }
        int legacyVersion = u16(d, p);
        p += 2 + 32;
        if (p + 1 > end) {
            return null;
        }
        p += 1 + (d[p] & 0xff);
        if (p + 2 > end) {
            return null;
        }
        p += 2 + u16(d, p);
        if (p + 1 > end) {
            return null;
        }
        p += 1 + (d[p] & 0xff);
        String serverName = null;
        int best = legacyVersion;
        if (p + 2 <= end) {
            int extEnd = Math.min(end, p + 2 + u16(d, p));
            p += 2;
            while (p + 4 <= extEnd) {
                int type = u16(d, p);
                int length = u16(d, p + 2);
                int body = p + 4;
                if (body + length > extEnd) {
                    break;
                }
                if (type == 0 && length >= 5) {
                    // server_name_list: list length(2), name type(1), name length(2), name.
                    int nameLength = u16(d, body + 3);
                    if (d[body + 2] == 0 && body + 5 + nameLength <= body + length) {
                        serverName = new String(d, body + 5, nameLength, StandardCharsets.US_ASCII);
                    }
                } else if (type == 43 && length >= 1) {
                    int listEnd = Math.min(body + 1 + (d[body] & 0xff), body + length);
                    for (int v = body + 1; v + 2 <= listEnd; v += 2) {
                        int version = u16(d, v);
                        boolean grease = (version & 0x0f0f) == 0x0a0a;
                        if (!grease && version > best && version <= 0x0304) {
                            best = version;
                        }
                    }
                }
                p = body + length;
            }
        }
        return new String[] {serverName, tlsVersionName(best)};
    }

    // ---- DNS ----

    /**
     * The question name of a DNS message in {@code d[off..off+len)}, lower-cased and without the trailing dot
     * ({@code "."} for the root), or null when it cannot be read.
     */
    static String dnsQuestionName(byte[] d, int off, int len) {
        if (len < 12 || u16(d, off + 4) == 0) {
            return null;
        }
        StringBuilder name = new StringBuilder(64);
        int p = off + 12;
        int end = off + len;
        int jumps = 0;
        while (p < end) {
            int labelLength = d[p] & 0xff;
            if (labelLength == 0) {
                return name.length() == 0 ? "." : name.toString();
            }
            if ((labelLength & 0xc0) == 0xc0) {
                if (p + 1 >= end || ++jumps > 16) {
                    return null;
                }
                p = off + (((labelLength & 0x3f) << 8) | (d[p + 1] & 0xff));
                continue;
            }
            if ((labelLength & 0xc0) != 0 || p + 1 + labelLength > end || name.length() > 255) {
                return null;
            }
            if (name.length() > 0) {
                name.append('.');
            }
            for (int i = 1; i <= labelLength; i++) {
                char c = (char) (d[p + i] & 0xff);
                name.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            }
            p += 1 + labelLength;
        }
        return null;
    }

    static int u16(byte[] d, int i) {
        return ((d[i] & 0xff) << 8) | (d[i + 1] & 0xff);
    }

    static int u24(byte[] d, int i) {
        return ((d[i] & 0xff) << 16) | ((d[i + 1] & 0xff) << 8) | (d[i + 2] & 0xff);
    }
}
