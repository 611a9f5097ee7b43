package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.capturepackets.e2e.E2ePcap;
import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestClusterExtension;
import io.github.capturepackets.e2e.TestNamespace;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine, run as a ServiceAccount bound to the smallest Role the product itself prints
 * ({@link Preflight#roleYaml}): that Role is enough for a real capture, and the same Role without
 * {@code pods/ephemeralcontainers} makes the engine refuse to start with a message naming the missing permission.
 */
@ExtendWith(TestClusterExtension.class)
@DisplayName("RBAC for capturing")
class CaptureRbacIT {

    private static final String POD = "rbac-web";

    @TempDir
    Path output;

    @BeforeAll
    static void setUp(TestCluster cluster, TestNamespace namespace) {
        Role role = productRole(cluster, namespace);
        bind(cluster, namespace, "capturer", role);
        List<PolicyRule> withoutEphemeral = role.getRules().stream()
                .filter(r -> !r.getResources().contains("pods/ephemeralcontainers")).toList();
        assertThat(withoutEphemeral).as("the product's Role has a pods/ephemeralcontainers rule to take away")
                .hasSize(role.getRules().size() - 1);
        bind(cluster, namespace, "no-ephemeral", new RoleBuilder(role).withRules(withoutEphemeral).build());
        E2ePods.createAppPod(cluster, namespace, POD);
    }

    /** The Role of {@link Preflight#roleYaml}, parsed as the user would apply it. */
    private static Role productRole(TestCluster cluster, TestNamespace namespace) {
        List<HasMetadata> items = cluster.client().load(new ByteArrayInputStream(
                Preflight.roleYaml(namespace.name()).getBytes(StandardCharsets.UTF_8))).items();
        assertThat(items).hasSize(2).last().isInstanceOf(RoleBinding.class);
        return (Role) items.get(0);
    }

    /** A ServiceAccount {@code name} with the rules of {@code role}, under a Role and RoleBinding of its name. */
    private static void bind(TestCluster cluster, TestNamespace namespace, String name, Role role) {
        KubernetesClient admin = cluster.client();
        String ns = namespace.name();
        admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
                .endMetadata().withAutomountServiceAccountToken(false).build()).create();
        admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(name)
                .endMetadata().withRules(role.getRules()).build()).create();
        admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(name)
                .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
                .withSubjects(new SubjectBuilder().withKind("ServiceAccount").withName(name).withNamespace(ns).build())
                .build()).create();
    }

    private static KubernetesClient clientFor(TestCluster cluster, TestNamespace namespace, String serviceAccount) {
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build();
        TokenRequest issued = cluster.client().serviceAccounts().inNamespace(namespace.name()).withName(serviceAccount)
                .tokenRequest(request);
        return cluster.clientWithToken(issued.getStatus().getToken());
    }

    private CaptureRequest request(TestCluster cluster, TestNamespace namespace) {
        return CaptureRequest.builder().name("rbac").target(new CaptureTarget(namespace.name(), "", List.of(POD), ""))
                .image(cluster.tcpdumpImage()).pullPolicy(PullPolicy.IF_NOT_PRESENT)
                .limits(new CaptureLimits(Duration.ofMinutes(5), 0, 0, 0)).startTimeout(Duration.ofSeconds(60))
                .outputDirectory(output).build();
    }

    @Test
    @DisplayName("a ServiceAccount with the product's smallest Role captures the pod's traffic with the engine")
    void productRoleCanCapture(TestCluster cluster, TestNamespace namespace) throws Exception {
        String path = "/capture-packets-rbac-" + UUID.randomUUID();
        CaptureResult result;
        try (KubernetesClient capturer = clientFor(cluster, namespace, "capturer");
                CaptureSession session = CaptureEngine.start(request(cluster, namespace), capturer, false)) {
            E2ePods.sendHttpRequest(cluster, namespace, POD, path);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        byte[] pcap = Files.readAllBytes(capture.files().get(0));
        assertThat(E2ePcap.containsAscii(pcap, "GET " + path + " HTTP/1.1")).as("the request in the pcap").isTrue();
    }

    @Test
    @DisplayName("without pods/ephemeralcontainers the engine does not start, and its message names the permission")
    void withoutEphemeralContainersIsRefused(TestCluster cluster, TestNamespace namespace) {
        CaptureException failure;
        try (KubernetesClient restricted = clientFor(cluster, namespace, "no-ephemeral")) {
            failure = catchThrowableOfType(CaptureException.class,
                    () -> CaptureEngine.start(request(cluster, namespace), restricted, false).close());
        }

        assertThat(failure).as("starting a capture without the permission").isNotNull();
        assertThat(failure.getMessage()).contains("patch pods/ephemeralcontainers").contains(namespace.name());
        assertThat(cluster.client().pods().inNamespace(namespace.name()).withName(POD).get().getSpec()
                .getEphemeralContainers()).as("nothing was added to the pod").isEmpty();
    }
}
