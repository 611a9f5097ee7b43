package io.github.capturepackets.testing;

/**
 * The tshark display filters our analyzer's counts are compared with (issue 2, "Analysis"), with the
 * agreement required: exact, or within a relative tolerance where Wireshark's heuristics and ours may
 * legitimately differ on a few frames (retransmissions, duplicate ACKs).
 *
 * <p>Filters marked two-pass only work with {@link Tshark}, which always runs tshark with {@code -2}.
 */
public enum OracleFilter {
  RESETS("tcp.flags.reset==1", 0),
  RETRANSMISSIONS("tcp.analysis.retransmission", 0.02),
  FAST_RETRANSMISSIONS("tcp.analysis.fast_retransmission", 0.02),
  SPURIOUS_RETRANSMISSIONS("tcp.analysis.spurious_retransmission", 0.02),
  DUPLICATE_ACKS("tcp.analysis.duplicate_ack", 0.02),
  /** "Previous segment not captured". */
  LOST_SEGMENTS("tcp.analysis.lost_segment", 0.02),
  ZERO_WINDOWS("tcp.analysis.zero_window", 0),
  /** Connection attempts (first SYN, not its retransmissions). */
  CONNECTION_ATTEMPTS("tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission", 0),
  /** Connection attempts that never saw a SYN-ACK (two-pass: {@code tcp.completeness}). */
  UNANSWERED_SYNS(
      "tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission && !(tcp.completeness & 2)", 0),
  /** Established connections with neither FIN nor RST by the end of the capture (two-pass). */
  NEVER_CLOSED(
      "tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission"
          + " && (tcp.completeness & 2) && !(tcp.completeness & 48)",
      0),
  DNS_QUERIES("dns.flags.response==0", 0),
  DNS_RESPONSES("dns.flags.response==1", 0),
  DNS_NXDOMAIN("dns.flags.response==1 && dns.flags.rcode==3", 0),
  DNS_SERVFAIL("dns.flags.response==1 && dns.flags.rcode==2", 0),
  DNS_REFUSED("dns.flags.response==1 && dns.flags.rcode==5", 0),
  /** Queries no response ever matched (two-pass: {@code dns.response_in}). */
  DNS_UNANSWERED("dns.flags.response==0 && !dns.response_in", 0),
  HTTP_REQUESTS("http.request", 0),
  HTTP_RESPONSES("http.response", 0),
  HTTP_CLIENT_ERRORS("http.response.code>=400 && http.response.code<500", 0),
  HTTP_SERVER_ERRORS("http.response.code>=500", 0),
  /**
   * Every TLS alert record, including encrypted ones (a TLS 1.2 close_notify shows as "Encrypted Alert"
   * with no description); {@link #TLS_ALERT_DESCRIPTIONS} counts only the readable ones.
   */
  TLS_ALERTS("tls.alert_message", 0),
  TLS_ALERT_DESCRIPTIONS("tls.alert_message.desc", 0),
  TLS_CLIENT_HELLOS("tls.handshake.type==1", 0),
  ICMP_UNREACHABLE("icmp.type==3 || icmpv6.type==1", 0),
  ICMP_TIME_EXCEEDED("icmp.type==11 || icmpv6.type==3", 0);

  private final String filter;
  private final double tolerance;

  OracleFilter(String filter, double tolerance) {
    this.filter = filter;
    this.tolerance = tolerance;
  }

  /** The tshark display filter. */
  public String filter() {
    return filter;
  }

  /** Allowed relative difference between our count and tshark's; 0 means exact. */
  public double tolerance() {
    return tolerance;
  }

  /** Whether {@code ours} agrees with tshark's count {@code oracle} within {@link #tolerance()}. */
  public boolean agrees(long ours, long oracle) {
    if (tolerance == 0) {
      return ours == oracle;
    }
    return Math.abs(ours - oracle) <= Math.ceil(tolerance * Math.max(ours, oracle));
  }

  /** Responses with one HTTP status code, for example {@code httpStatus(503)}. */
  public static String httpStatus(int code) {
    if (code < 100 || code > 999) {
      throw new IllegalArgumentException("not an HTTP status code: " + code);
    }
    return "http.response.code==" + code;
  }

  /** DNS responses with one rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...). */
  public static String dnsRcode(int rcode) {
    if (rcode < 0 || rcode > 15) {
      throw new IllegalArgumentException("not a DNS rcode: " + rcode);
    }
    return "dns.flags.response==1 && dns.flags.rcode==" + rcode;
  }

  /** TLS alerts with one description (48 unknown_ca, 70 protocol_version, ...). */
  public static String tlsAlert(int description) {
    return "tls.alert_message.desc==" + description;
  }
}
