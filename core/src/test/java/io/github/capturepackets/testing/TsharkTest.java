package io.github.capturepackets.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.testing.ScenarioCaptures.Capture;
import io.github.capturepackets.testing.ScenarioCaptures.Scenario;
import io.github.capturepackets.testing.ScenarioCaptures.View;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The tshark oracle helper")
class TsharkTest {

  private static Capture dns() {
    return ScenarioCaptures.get().capture(Scenario.DNS, View.LINUX_SLL2);
  }

  @Test
  @DisplayName("frames() lists ascending frame numbers, as many as count() and counts() report")
  void framesCountAndCountsAgree() {
    Capture capture = dns();
    List<Long> frames = Tshark.frames(capture.path(), OracleFilter.DNS_NXDOMAIN.filter());
    assertThat(frames).isNotEmpty().isSorted().doesNotHaveDuplicates().allMatch(f -> f >= 1 && f <= capture.packets());
    assertThat(Tshark.count(capture.path(), OracleFilter.DNS_NXDOMAIN.filter())).isEqualTo(frames.size());
    Map<String, Long> counts = Tshark.counts(capture.path(),
        List.of(OracleFilter.DNS_NXDOMAIN.filter(), OracleFilter.DNS_QUERIES.filter(), "frame"));
    assertThat(counts).containsEntry(OracleFilter.DNS_NXDOMAIN.filter(), (long) frames.size())
        .containsEntry(OracleFilter.DNS_QUERIES.filter(), Tshark.count(capture.path(), "dns.flags.response==0"))
        .containsEntry("frame", capture.packets());
  }

  @Test
  @DisplayName("fields() returns one row per matching frame with every requested field")
  void fieldsReturnsRows() {
    List<List<String>> rows = Tshark.fields(dns().path(), "dns.flags.rcode==2", List.of("frame.number", "dns.qry.name"));
    assertThat(rows).isNotEmpty().allSatisfy(row -> {
      assertThat(row).hasSize(2);
      assertThat(row.get(1)).isEqualTo("fail.example.test");
    });
  }

  @Test
  @DisplayName("decode-as entries reach tshark and change its dissection")
  void decodeAsReachesTshark() {
    Capture http = ScenarioCaptures.get().capture(Scenario.HTTP, View.ETHERNET);
    String onNonStandardPort = "http.request && tcp.dstport==9090";
    // tshark 4.0 finds HTTP on 9090 by itself (heuristics); the scenario's hint keeps other versions in line.
    assertThat(Tshark.count(http.path(), onNonStandardPort, http.decodeAs())).isEqualTo(4);
    assertThat(Tshark.count(http.path(), onNonStandardPort, "tcp.port==9090,echo")).isZero();
  }

  @Test
  @DisplayName("an invalid display filter fails with tshark's own message")
  void invalidFilterFails() {
    assertThatThrownBy(() -> Tshark.count(dns().path(), "dns.no_such_field == 1"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dns.no_such_field");
  }

  @Test
  @DisplayName("OracleFilter helpers spell the display filters tshark expects and reject impossible values")
  void filterHelpers() {
    assertThat(OracleFilter.RETRANSMISSIONS.filter()).isEqualTo("tcp.analysis.retransmission");
    assertThat(OracleFilter.httpStatus(503)).isEqualTo("http.response.code==503");
    assertThat(OracleFilter.dnsRcode(3)).isEqualTo("dns.flags.response==1 && dns.flags.rcode==3");
    assertThatThrownBy(() -> OracleFilter.httpStatus(42)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OracleFilter.dnsRcode(16)).isInstanceOf(IllegalArgumentException.class);
  }
}
