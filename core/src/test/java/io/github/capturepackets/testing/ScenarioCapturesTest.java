package io.github.capturepackets.testing;

import static io.github.capturepackets.testing.OracleFilter.CONNECTION_ATTEMPTS;
import static io.github.capturepackets.testing.OracleFilter.DNS_NXDOMAIN;
import static io.github.capturepackets.testing.OracleFilter.DNS_QUERIES;
import static io.github.capturepackets.testing.OracleFilter.DNS_REFUSED;
import static io.github.capturepackets.testing.OracleFilter.DNS_SERVFAIL;
import static io.github.capturepackets.testing.OracleFilter.DNS_UNANSWERED;
import static io.github.capturepackets.testing.OracleFilter.DUPLICATE_ACKS;
import static io.github.capturepackets.testing.OracleFilter.FAST_RETRANSMISSIONS;
import static io.github.capturepackets.testing.OracleFilter.HTTP_REQUESTS;
import static io.github.capturepackets.testing.OracleFilter.ICMP_TIME_EXCEEDED;
import static io.github.capturepackets.testing.OracleFilter.ICMP_UNREACHABLE;
import static io.github.capturepackets.testing.OracleFilter.LOST_SEGMENTS;
import static io.github.capturepackets.testing.OracleFilter.NEVER_CLOSED;
import static io.github.capturepackets.testing.OracleFilter.REFUSED;
import static io.github.capturepackets.testing.OracleFilter.RESETS;
import static io.github.capturepackets.testing.OracleFilter.RETRANSMISSIONS;
import static io.github.capturepackets.testing.OracleFilter.TLS_ALERTS;
import static io.github.capturepackets.testing.OracleFilter.TLS_ALERT_DESCRIPTIONS;
import static io.github.capturepackets.testing.OracleFilter.TLS_CLIENT_HELLOS;
import static io.github.capturepackets.testing.OracleFilter.UNANSWERED_SYNS;
import static io.github.capturepackets.testing.OracleFilter.ZERO_WINDOWS;
import static io.github.capturepackets.testing.OracleFilter.dnsRcode;
import static io.github.capturepackets.testing.OracleFilter.httpStatus;
import static io.github.capturepackets.testing.OracleFilter.tlsAlert;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.testing.ScenarioCaptures.Capture;
import io.github.capturepackets.testing.ScenarioCaptures.Scenario;
import io.github.capturepackets.testing.ScenarioCaptures.View;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards the scenarios themselves: each capture really contains its fault, according to tshark, in each link
 * type. Analyzer tests compare against tshark on these files, so a scenario that silently lost its fault would
 * make them pass for nothing.
 */
@DisplayName("Scenario captures contain their faults according to tshark")
class ScenarioCapturesTest {

  static List<View> clientViews() {
    return View.clientViews();
  }

  private static Map<String, Long> counts(Scenario scenario, View view, Object... filters) {
    Capture capture = ScenarioCaptures.get().capture(scenario, view);
    List<String> list = new ArrayList<>();
    for (Object f : filters) {
      list.add(f instanceof OracleFilter o ? o.filter() : (String) f);
    }
    return Tshark.counts(capture.path(), list, capture.decodeAs());
  }

  private static long n(Map<String, Long> counts, Object filter) {
    return counts.get(filter instanceof OracleFilter o ? o.filter() : (String) filter);
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("every capture is a complete pcap file of the view's link type holding tcpdump's packet count")
  void capturesHaveTheirLinkType(View view) throws IOException {
    for (Scenario scenario : Scenario.values()) {
      Capture capture = ScenarioCaptures.get().capture(scenario, view);
      ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(capture.path())).order(ByteOrder.LITTLE_ENDIAN);
      // tcpdump writes its host's byte order, little-endian on the machines this project runs on.
      assertThat(file.getInt(0)).as("%s magic", capture).isEqualTo(0xa1b2c3d4);
      assertThat(file.getInt(20)).as("%s link type", capture).isEqualTo(view.linkType()).isEqualTo(capture.linkType());
      long records = 0;
      int offset = 24;
      while (offset < file.limit()) {
        assertThat(offset + 16).as("%s record header at %d", capture, offset).isLessThanOrEqualTo(file.limit());
        offset += 16 + file.getInt(offset + 8);
        records++;
      }
      assertThat(offset).as("%s ends on a record boundary", capture).isEqualTo(file.limit());
      assertThat(records).as("%s records", capture).isEqualTo(capture.packets());
    }
  }

  @ParameterizedTest
  @MethodSource("clientViews")
  @DisplayName("tcp-resets: 5 refused connects (RST answering SYN) and 3 resets mid-stream, IPv4 and IPv6")
  void resets(View view) {
    String refusingResets = "tcp.flags.reset==1 && (tcp.completeness & 1) && !(tcp.completeness & 2)";
    String midStream = "tcp.flags.reset==1 && (tcp.completeness & 8)";
    Map<String, Long> c = counts(Scenario.TCP_RESETS, view, RESETS, CONNECTION_ATTEMPTS, REFUSED, UNANSWERED_SYNS,
        refusingResets, midStream, "ipv6 && tcp.flags.reset==1");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, RESETS)).as("resets").isEqualTo(8);
    s.assertThat(n(c, CONNECTION_ATTEMPTS)).as("connection attempts").isEqualTo(8);
    s.assertThat(n(c, REFUSED)).as("refused connection attempts").isEqualTo(5);
    s.assertThat(n(c, UNANSWERED_SYNS)).as("unanswered (refused ones were answered)").isZero();
    s.assertThat(n(c, refusingResets)).as("RSTs answering a SYN").isEqualTo(5);
    s.assertThat(n(c, midStream)).as("mid-stream").isEqualTo(3);
    s.assertThat(n(c, "ipv6 && tcp.flags.reset==1")).as("IPv6 resets").isEqualTo(3);
    s.assertAll();
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("tcp-loss: hundreds of retransmissions, duplicate ACKs and segments not captured, IPv4 and IPv6")
  void loss(View view) {
    Map<String, Long> c = counts(Scenario.TCP_LOSS, view, RETRANSMISSIONS, FAST_RETRANSMISSIONS,
        DUPLICATE_ACKS, LOST_SEGMENTS, "ipv6 && tcp.analysis.retransmission", "ip && tcp.analysis.retransmission");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, RETRANSMISSIONS)).as("retransmissions").isGreaterThan(100);
    s.assertThat(n(c, FAST_RETRANSMISSIONS)).as("fast retransmissions").isPositive();
    s.assertThat(n(c, DUPLICATE_ACKS)).as("duplicate ACKs").isGreaterThan(50);
    s.assertThat(n(c, LOST_SEGMENTS)).as("previous segment not captured").isGreaterThan(20);
    s.assertThat(n(c, "ipv6 && tcp.analysis.retransmission")).as("IPv6 retransmissions").isPositive();
    s.assertThat(n(c, "ip && tcp.analysis.retransmission")).as("IPv4 retransmissions").isPositive();
    s.assertAll();
  }

  @Test
  @DisplayName("tcp-loss: the three client link types hold the same packets and the same resent segments; tshark's "
      + "duplicate ACKs agree within 2 %")
  void lossAgreesAcrossLinkTypes() {
    // tshark's retransmission / out-of-order / lost-segment verdicts are not compared across views: each tcpdump
    // stamps its own times, and tshark calls a resent segment "Out-Of-Order" rather than "Retransmission" when it
    // follows its predecessor within its out-of-order window, which shifts the later verdicts too (a CI run under
    // load saw 331, 318 and 294 retransmissions in the three views of the same packets). What the views must share
    // is the packets, and with them the resent segments, which depend on contents only. Agreement of our counts
    // with tshark's is checked on every view by TsharkAgreementTest.
    List<Map<String, Long>> perView = new ArrayList<>();
    List<Long> resent = new ArrayList<>();
    for (View view : View.clientViews()) {
      perView.add(counts(Scenario.TCP_LOSS, view, DUPLICATE_ACKS, "tcp"));
      resent.add(resentSegments(ScenarioCaptures.get().capture(Scenario.TCP_LOSS, view)));
    }
    SoftAssertions s = new SoftAssertions();
    s.assertThat(resent.get(0)).as("resent data segments").isGreaterThan(100);
    for (int i = 1; i < perView.size(); i++) {
      Map<String, Long> other = perView.get(i);
      s.assertThat(other.get("tcp")).as("TCP frames").isEqualTo(perView.get(0).get("tcp"));
      s.assertThat(resent.get(i)).as("resent data segments").isEqualTo(resent.get(0));
      long first = n(perView.get(0), DUPLICATE_ACKS);
      long here = n(other, DUPLICATE_ACKS);
      // tshark against tshark on another view (its own timestamps): a few frames of jitter, not our analyzer.
      s.assertThat(Math.abs(here - first)).as("%s: %d vs %d", DUPLICATE_ACKS, here, first)
          .isLessThanOrEqualTo((long) Math.ceil(0.02 * Math.max(here, first)));
    }
    s.assertAll();
  }

  /** Data segments whose connection, direction, sequence number and length were seen before in the capture. */
  private static long resentSegments(ScenarioCaptures.Capture capture) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    long resent = 0;
    for (List<String> row : Tshark.fields(capture.path(), "tcp.len > 0",
        List.of("tcp.stream", "tcp.srcport", "tcp.seq_raw", "tcp.len"), capture.decodeAs())) {
      if (!seen.add(String.join("/", row))) {
        resent++;
      }
    }
    return resent;
  }

  @ParameterizedTest
  @MethodSource("clientViews")
  @DisplayName("tcp-unanswered: 2 connection attempts never answered (SYN retransmitted), 1 connection left open")
  void unanswered(View view) {
    String synRetransmissions = "tcp.flags.syn==1 && tcp.analysis.retransmission";
    Map<String, Long> c = counts(Scenario.TCP_UNANSWERED, view, UNANSWERED_SYNS, NEVER_CLOSED,
        synRetransmissions, "ipv6 && tcp.flags.syn==1");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, UNANSWERED_SYNS)).as("unanswered connection attempts").isEqualTo(2);
    s.assertThat(n(c, synRetransmissions)).as("SYN retransmissions").isGreaterThanOrEqualTo(2);
    s.assertThat(n(c, NEVER_CLOSED)).as("connections never closed").isEqualTo(1);
    s.assertThat(n(c, "ipv6 && tcp.flags.syn==1")).as("IPv6 SYNs").isGreaterThanOrEqualTo(2);
    s.assertAll();
  }

  @Test
  @DisplayName("tcp-unanswered: the server never sees the SYNs the router drops")
  void unansweredFromTheServer() {
    Map<String, Long> c = counts(Scenario.TCP_UNANSWERED, View.SERVER_ETHERNET, "tcp.dstport==8081", NEVER_CLOSED);
    assertThat(n(c, "tcp.dstport==8081")).isZero();
    assertThat(n(c, NEVER_CLOSED)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("tcp-zero-window: the stalled receiver advertises a zero window and the sender probes it")
  void zeroWindow(View view) {
    String probes = "tcp.analysis.zero_window_probe || tcp.analysis.keep_alive";
    Map<String, Long> c = counts(Scenario.TCP_ZERO_WINDOW, view, ZERO_WINDOWS, probes, "tcp.analysis.window_full",
        "tcp.flags.fin==1");
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, ZERO_WINDOWS)).as("zero windows").isPositive();
    s.assertThat(n(c, probes)).as("zero-window probes").isPositive();
    s.assertThat(n(c, "tcp.analysis.window_full")).as("window full").isPositive();
    s.assertThat(n(c, "tcp.flags.fin==1")).as("FINs (the transfer completes)").isEqualTo(2);
    s.assertAll();
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("dns: NXDOMAIN, SERVFAIL, REFUSED, unanswered queries, IPv6, TCP and search-domain expansion")
  void dns(View view) {
    String noerror = dnsRcode(0);
    String overTcp = "tcp && dns.flags.response==1";
    String overIpv6 = "ipv6 && dns.flags.response==0";
    String searchNoise = "dns.flags.rcode==3 && dns.qry.name==\"registry.example.test.svc.cluster.local\"";
    String slow = "dns.time > 0.2 && dns.qry.name==\"slow.example.test\"";
    Map<String, Long> c = counts(Scenario.DNS, view, DNS_QUERIES, DNS_NXDOMAIN, DNS_SERVFAIL, DNS_REFUSED,
        DNS_UNANSWERED, noerror, overTcp, overIpv6, searchNoise, slow);
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, DNS_QUERIES)).as("queries").isEqualTo(36);
    s.assertThat(n(c, DNS_NXDOMAIN)).as("NXDOMAIN").isEqualTo(19);
    s.assertThat(n(c, DNS_SERVFAIL)).as("SERVFAIL").isEqualTo(2);
    s.assertThat(n(c, DNS_REFUSED)).as("REFUSED").isEqualTo(1);
    s.assertThat(n(c, noerror)).as("NOERROR").isEqualTo(11);
    s.assertThat(n(c, DNS_UNANSWERED)).as("unanswered").isEqualTo(3);
    s.assertThat(n(c, overTcp)).as("responses over TCP").isEqualTo(2);
    s.assertThat(n(c, overIpv6)).as("queries over IPv6").isEqualTo(3);
    s.assertThat(n(c, searchNoise)).as("search-suffix NXDOMAIN (A and AAAA)").isEqualTo(2);
    s.assertThat(n(c, slow)).as("slow.example.test answered after 200 ms").isEqualTo(1);
    s.assertAll();
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("http: keep-alive requests on 8080 and 9090 answered 200, 404, 500 and 503")
  void http(View view) {
    String port9090 = "http.request && tcp.dstport==9090";
    String slow = "http.time > 0.19 && http.response_for.uri contains \"/delay/\"";
    String connections = "tcp.flags.syn==1 && tcp.flags.ack==0";
    Map<String, Long> c = counts(Scenario.HTTP, view, HTTP_REQUESTS, httpStatus(200), httpStatus(404),
        httpStatus(500), httpStatus(503), port9090, slow, connections);
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, HTTP_REQUESTS)).as("requests").isEqualTo(14);
    s.assertThat(n(c, connections)).as("connections (keep-alive)").isEqualTo(3);
    s.assertThat(n(c, httpStatus(200))).as("200").isEqualTo(7);
    s.assertThat(n(c, httpStatus(404))).as("404").isEqualTo(2);
    s.assertThat(n(c, httpStatus(500))).as("500").isEqualTo(2);
    s.assertThat(n(c, httpStatus(503))).as("503").isEqualTo(3);
    s.assertThat(n(c, port9090)).as("requests on 9090 (decode-as)").isEqualTo(4);
    s.assertThat(n(c, slow)).as("delayed answers").isEqualTo(2);
    s.assertAll();
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("tls: unknown-CA and protocol-version alerts, SNI on every ClientHello")
  void tls(View view) {
    String web = "tls.handshake.extensions_server_name==\"web.example.test\"";
    String api = "tls.handshake.extensions_server_name==\"api.example.test\"";
    Map<String, Long> c = counts(Scenario.TLS, view, TLS_ALERTS, TLS_ALERT_DESCRIPTIONS, tlsAlert(48), tlsAlert(70),
        TLS_CLIENT_HELLOS, web, api);
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, tlsAlert(48))).as("unknown CA").isEqualTo(2);
    s.assertThat(n(c, tlsAlert(70))).as("protocol version").isEqualTo(1);
    s.assertThat(n(c, TLS_ALERT_DESCRIPTIONS)).as("readable alerts").isEqualTo(3);
    s.assertThat(n(c, TLS_ALERTS)).as("alerts including one encrypted close_notify").isEqualTo(4);
    s.assertThat(n(c, TLS_CLIENT_HELLOS)).as("ClientHellos").isEqualTo(6);
    s.assertThat(n(c, web)).as("SNI web.example.test").isEqualTo(4);
    s.assertThat(n(c, api)).as("SNI api.example.test").isEqualTo(2);
    s.assertAll();
  }

  @ParameterizedTest
  @MethodSource("clientViews")
  @DisplayName("icmp: port and network unreachable, time exceeded, in ICMP and ICMPv6")
  void icmp(View view) {
    Map<String, Long> codes = new LinkedHashMap<>();
    codes.put("icmp.type==3 && icmp.code==3", 3L);
    codes.put("icmpv6.type==1 && icmpv6.code==4", 3L);
    codes.put("icmp.type==3 && icmp.code==0", 1L);
    codes.put("icmpv6.type==1 && icmpv6.code==0", 1L);
    codes.put("icmp.type==11", 1L);
    codes.put("icmpv6.type==3", 1L);
    List<Object> filters = new ArrayList<>(codes.keySet());
    filters.add(ICMP_UNREACHABLE);
    filters.add(ICMP_TIME_EXCEEDED);
    Map<String, Long> c = counts(Scenario.ICMP, view, filters.toArray());
    SoftAssertions s = new SoftAssertions();
    codes.forEach((filter, expected) -> s.assertThat(n(c, filter)).as(filter).isEqualTo(expected));
    s.assertThat(n(c, ICMP_UNREACHABLE)).as("unreachable").isEqualTo(8);
    s.assertThat(n(c, ICMP_TIME_EXCEEDED)).as("time exceeded").isEqualTo(2);
    s.assertAll();
  }

  @ParameterizedTest
  @EnumSource(View.class)
  @DisplayName("ipv6: only IPv6 TCP, with HTTP codes, resets and a TLS handshake")
  void ipv6(View view) {
    Map<String, Long> c = counts(Scenario.IPV6, view, "ip && tcp", "ipv6 && tcp", RESETS, httpStatus(200),
        httpStatus(404), httpStatus(500), httpStatus(503), TLS_CLIENT_HELLOS);
    SoftAssertions s = new SoftAssertions();
    s.assertThat(n(c, "ip && tcp")).as("IPv4 TCP").isZero();
    s.assertThat(n(c, "ipv6 && tcp")).as("IPv6 TCP").isGreaterThan(100);
    s.assertThat(n(c, RESETS)).as("resets").isEqualTo(3);
    s.assertThat(n(c, httpStatus(200))).as("200").isEqualTo(3);
    s.assertThat(n(c, httpStatus(404))).as("404").isEqualTo(1);
    s.assertThat(n(c, httpStatus(500))).as("500").isEqualTo(1);
    s.assertThat(n(c, httpStatus(503))).as("503").isEqualTo(1);
    s.assertThat(n(c, TLS_CLIENT_HELLOS)).as("ClientHello").isEqualTo(1);
    s.assertAll();
  }
}
