package io.github.capturepackets.analysis;

import java.time.Duration;
import java.util.SortedMap;

/** Counters over a whole analysis. Field names are API: the JSON report uses them as they are. */
public record Stats(Tcp tcp, Dns dns, Http http, Tls tls, Icmp icmp) {

    /**
     * TCP counters; frame counts match Wireshark's {@code tcp.analysis.*} fields.
     *
     * @param connections     connections seen (by SYN, or by first packet for connections already open)
     * @param resets          frames with RST set ({@code tcp.flags.reset==1})
     * @param refused         RSTs answering a SYN
     * @param midStreamResets resets of established connections
     */
    public record Tcp(long connections, long resets, long refused, long midStreamResets, long retransmissions,
            long fastRetransmissions, long spuriousRetransmissions, long duplicateAcks, long lostSegments,
            long zeroWindows, long unansweredSyns, long notClosed, Duration medianHandshakeRtt) {
    }

    /** DNS over UDP and TCP. {@code searchNxdomain} are NXDOMAINs of search-domain expansions that later resolved. */
    public record Dns(long queries, long responses, long nxdomain, long searchNxdomain, long servfail, long refused,
            long unanswered, Duration medianLatency, Duration maxLatency) {
    }

    /** HTTP/1.x; {@code status} maps a status code to how many responses had it. */
    public record Http(long requests, long responses, SortedMap<Integer, Long> status, long clientErrors,
            long serverErrors, Duration medianLatency, Duration maxLatency) {
    }

    /** TLS handshakes and alerts; {@code alertDescriptions} maps an alert name to its count. */
    public record Tls(long clientHellos, SortedMap<String, Long> serverNames, SortedMap<String, Long> versions,
            long alerts, SortedMap<String, Long> alertDescriptions) {
    }

    /** ICMP and ICMPv6. */
    public record Icmp(long unreachable, long timeExceeded) {
    }
}
