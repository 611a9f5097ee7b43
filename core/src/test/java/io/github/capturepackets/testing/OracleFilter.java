package io.github.capturepackets.testing;

/**
 * The tshark display filters our analyzer's counts are compared with (issue 2, "Analysis"). Agreement is exact,
 * frame for frame, for every one of them (see TsharkAgreementTest); there is no tolerance to hide a miss.
 *
 * <p>Filters marked two-pass only work with {@link Tshark}, which always runs tshark with {@code -2}.
 */
public enum OracleFilter {
  RESETS("tcp.flags.reset==1"),
  RETRANSMISSIONS("tcp.analysis.retransmission"),
  FAST_RETRANSMISSIONS("tcp.analysis.fast_retransmission"),
  SPURIOUS_RETRANSMISSIONS("tcp.analysis.spurious_retransmission"),
  DUPLICATE_ACKS("tcp.analysis.duplicate_ack"),
  /** "Previous segment not captured". */
  LOST_SEGMENTS("tcp.analysis.lost_segment"),
  ZERO_WINDOWS("tcp.analysis.zero_window"),
  /** Connection attempts (first SYN, not its retransmissions). */
  CONNECTION_ATTEMPTS("tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission"),
  /**
   * Connection attempts that never saw a SYN-ACK nor a RST (two-pass: {@code tcp.completeness}, where 2 is
   * SYN-ACK and 32 RST); a refused connection was answered, by a RST.
   */
  UNANSWERED_SYNS(
      "tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission && !(tcp.completeness & 34)"),
  /** Connection attempts answered by a RST instead of a SYN-ACK (two-pass). */
  REFUSED(
      "tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission"
          + " && (tcp.completeness & 32) && !(tcp.completeness & 2)"),
  /** Established connections with neither FIN nor RST by the end of the capture (two-pass). */
  NEVER_CLOSED(
      "tcp.flags.syn==1 && tcp.flags.ack==0 && !tcp.analysis.retransmission"
          + " && (tcp.completeness & 2) && !(tcp.completeness & 48)"),
  DNS_QUERIES("dns.flags.response==0"),
  DNS_RESPONSES("dns.flags.response==1"),
  DNS_NXDOMAIN("dns.flags.response==1 && dns.flags.rcode==3"),
  DNS_SERVFAIL("dns.flags.response==1 && dns.flags.rcode==2"),
  DNS_REFUSED("dns.flags.response==1 && dns.flags.rcode==5"),
  /** Queries no response ever matched (two-pass: {@code dns.response_in}). */
  DNS_UNANSWERED("dns.flags.response==0 && !dns.response_in"),
  HTTP_REQUESTS("http.request"),
  HTTP_RESPONSES("http.response"),
  HTTP_CLIENT_ERRORS("http.response.code>=400 && http.response.code<500"),
  HTTP_SERVER_ERRORS("http.response.code>=500"),
  /**
   * Every TLS alert record, including encrypted ones (a TLS 1.2 close_notify shows as "Encrypted Alert"
   * with no description); {@link #TLS_ALERT_DESCRIPTIONS} counts only the readable ones.
   */
  TLS_ALERTS("tls.alert_message"),
  TLS_ALERT_DESCRIPTIONS("tls.alert_message.desc"),
  TLS_CLIENT_HELLOS("tls.handshake.type==1"),
  ICMP_UNREACHABLE("icmp.type==3 || icmpv6.type==1"),
  ICMP_TIME_EXCEEDED("icmp.type==11 || icmpv6.type==3");

  private final String filter;

  OracleFilter(String filter) {
    this.filter = filter;
  }

  /** The tshark display filter. */
  public String filter() {
    return filter;
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
