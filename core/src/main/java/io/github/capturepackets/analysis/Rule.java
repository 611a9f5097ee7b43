package io.github.capturepackets.analysis;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The kinds of finding the analyzer reports. The {@link #id()} is what users write in {@code --fail-on},
 * annotations and pipeline steps; ids are API and must not change.
 */
public enum Rule {
    TCP_REFUSED("tcp.refused", Severity.ERROR, "Connection refused: RST answering a SYN"),
    TCP_RESET("tcp.reset", Severity.WARN, "Connection reset mid-stream"),
    TCP_RETRANSMISSION("tcp.retransmission", Severity.NOTE, "TCP retransmission"),
    TCP_DUPLICATE_ACK("tcp.duplicate-ack", Severity.NOTE, "Duplicate ACK"),
    TCP_LOST_SEGMENT("tcp.lost-segment", Severity.WARN, "Previous segment not captured"),
    TCP_ZERO_WINDOW("tcp.zero-window", Severity.WARN, "Zero window: the receiver stopped reading"),
    TCP_UNANSWERED_SYN("tcp.unanswered-syn", Severity.ERROR, "SYN never answered"),
    TCP_NOT_CLOSED("tcp.not-closed", Severity.CHAT, "Connection still open at the end of the capture"),
    DNS_NXDOMAIN("dns.nxdomain", Severity.WARN, "DNS name does not exist (NXDOMAIN)"),
    DNS_SEARCH_NXDOMAIN("dns.search-nxdomain", Severity.CHAT,
            "NXDOMAIN for a search-domain expansion of a name that later resolved (expected with ndots)"),
    DNS_SERVFAIL("dns.servfail", Severity.ERROR, "DNS server failure (SERVFAIL)"),
    DNS_REFUSED("dns.refused", Severity.ERROR, "DNS query refused (REFUSED)"),
    DNS_UNANSWERED("dns.unanswered", Severity.ERROR, "DNS query never answered"),
    HTTP_CLIENT_ERROR("http.4xx", Severity.WARN, "HTTP client error response (4xx)"),
    HTTP_SERVER_ERROR("http.5xx", Severity.ERROR, "HTTP server error response (5xx)"),
    TLS_ALERT("tls.alert", Severity.ERROR, "TLS alert"),
    ICMP_UNREACHABLE("icmp.unreachable", Severity.WARN, "ICMP destination unreachable"),
    ICMP_TIME_EXCEEDED("icmp.time-exceeded", Severity.WARN, "ICMP time exceeded"),
    CAPTURE_INCOMPLETE("capture.incomplete", Severity.WARN, "The capture is incomplete"),
    CAPTURE_DROPPED("capture.dropped", Severity.WARN, "The capture dropped packets: tcpdump could not keep up, so "
            + "gaps in this window may be the capture's, not the network's"),
    CAPTURE_INTERFACE_DUPLICATE("capture.interface-duplicate", Severity.CHAT,
            "Packet seen again on another interface of the same capture (a node capture on a bridge); ignored");

    private final String id;
    private final Severity defaultSeverity;
    private final String description;

    Rule(String id, Severity defaultSeverity, String description) {
        this.id = id;
        this.defaultSeverity = defaultSeverity;
        this.description = description;
    }

    /** The stable identifier, for example {@code tcp.refused}. */
    public String id() {
        return id;
    }

    public Severity defaultSeverity() {
        return defaultSeverity;
    }

    public String description() {
        return description;
    }

    /**
     * Looks a rule up by id (case-insensitive; the enum constant name is accepted too).
     *
     * @throws IllegalArgumentException naming the unknown rule and listing the valid ids
     */
    public static Rule fromId(String text) {
        String wanted = text.trim();
        for (Rule rule : values()) {
            if (rule.id.equalsIgnoreCase(wanted) || rule.name().equalsIgnoreCase(wanted)) {
                return rule;
            }
        }
        throw new IllegalArgumentException("Unknown rule '" + text + "'. Valid rules: "
                + Arrays.stream(values()).map(Rule::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
