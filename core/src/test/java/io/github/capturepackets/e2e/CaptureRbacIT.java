package io.github.capturepackets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestClusterExtension.class)
@DisplayName("RBAC for capturing")
class CaptureRbacIT {

  private static final String POD = "rbac-web";
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Exactly the verbs the capture needs (see real-cluster.md); attach/exec upgrades are GETs, posts create. */
  static List<PolicyRule> captureRules(boolean withEphemeralContainers) {
    List<PolicyRule> rules = new ArrayList<>();
    rules.add(rule("pods", "get", "list", "watch"));
    if (withEphemeralContainers) {
      rules.add(rule("pods/ephemeralcontainers", "get", "patch", "update"));
    }
    rules.add(rule("pods/attach", "create", "get"));
    rules.add(rule("pods/exec", "create", "get"));
    rules.add(rule("pods/log", "get"));
    return rules;
  }

  private static PolicyRule rule(String resource, String... verbs) {
    return new PolicyRuleBuilder().withApiGroups("").withResources(resource).withVerbs(verbs).build();
  }

  @BeforeAll
  static void setUp(TestCluster cluster, TestNamespace namespace) {
    createServiceAccount(cluster, namespace, "capturer", captureRules(true));
    createServiceAccount(cluster, namespace, "no-ephemeral", captureRules(false));
    E2ePods.createAppPod(cluster, namespace, POD);
  }

  private static void createServiceAccount(TestCluster cluster, TestNamespace namespace, String name,
      List<PolicyRule> rules) {
    KubernetesClient admin = cluster.client();
    String ns = namespace.name();
    admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
        .endMetadata().withAutomountServiceAccountToken(false).build()).create();
    admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(name).endMetadata()
        .withRules(rules).build()).create();
    admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(name)
        .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
        .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(ns).endSubject()
        .build()).create();
  }

  private static KubernetesClient clientFor(TestCluster cluster, TestNamespace namespace, String serviceAccount) {
    TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build();
    TokenRequest issued = cluster.client().serviceAccounts().inNamespace(namespace.name()).withName(serviceAccount)
        .tokenRequest(request);
    return cluster.clientWithToken(issued.getStatus().getToken());
  }

  @Test
  @DisplayName("a ServiceAccount with only the capture verbs adds the debug container and captures the pod's traffic")
  void minimalRoleCanCapture(TestCluster cluster, TestNamespace namespace) throws Exception {
    try (KubernetesClient capturer = clientFor(cluster, namespace, "capturer")) {
      E2ePods.addEphemeralContainer(capturer, namespace, POD,
          E2ePods.tcpdumpContainer(cluster, "rbac-debugger", false, "exec sleep 3600"));
      E2ePods.awaitEphemeralRunning(capturer, namespace, POD, "rbac-debugger");

      String path = "/capture-packets-rbac-" + UUID.randomUUID();
      try (StreamedCapture capture = StreamedCapture.exec(capturer, namespace, POD, "rbac-debugger", "rbac")) {
        capture.awaitReceived(E2ePcap::hasPcapHeader, WAIT, "the pcap header");
        E2ePods.sendHttpRequest(cluster, namespace, POD, path);
        capture.awaitReceived(bytes -> E2ePcap.containsAscii(bytes, "GET " + path + " HTTP/1.1"), WAIT,
            "the request line");
        capture.stop();
        byte[] pcap = capture.awaitComplete(WAIT);
        assertThat(E2ePcap.containsAscii(pcap, "GET " + path + " HTTP/1.1")).isTrue();
      }
      // Logs are part of the capture's diagnostics; the role allows them.
      assertThat(capturer.pods().inNamespace(namespace.name()).withName(POD).inContainer("app").getLog())
          .isNotNull();
    }
  }

  @Test
  @DisplayName("a ServiceAccount without pods/ephemeralcontainers gets 403 naming the missing permission")
  void withoutEphemeralContainersIsForbidden(TestCluster cluster, TestNamespace namespace) {
    try (KubernetesClient restricted = clientFor(cluster, namespace, "no-ephemeral")) {
      KubernetesClientException failure = catchThrowableOfType(KubernetesClientException.class,
          () -> E2ePods.addEphemeralContainer(restricted, namespace, POD,
              E2ePods.tcpdumpContainer(cluster, "forbidden-debugger", false, "exec sleep 3600")));

      assertThat(failure).as("adding an ephemeral container without the permission").isNotNull();
      assertThat(failure.getCode()).isEqualTo(403);
      assertThat(failure.getMessage())
          .contains("system:serviceaccount:" + namespace.name() + ":no-ephemeral")
          .contains("cannot patch resource \"pods/ephemeralcontainers\"");
    }
    assertThat(cluster.client().pods().inNamespace(namespace.name()).withName(POD).get().getSpec()
        .getEphemeralContainers()).extracting(c -> c.getName()).doesNotContain("forbidden-debugger");
  }
}
