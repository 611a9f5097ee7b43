package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.capturepackets.e2e.E2ePcap;
import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestClusterExtension;
import io.github.capturepackets.e2e.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The capture engine on a real cluster (the local harness, a kubeconfig, or K3s; skipped without one). */
@ExtendWith(TestClusterExtension.class)
@DisplayName("The capture engine on a real cluster")
class EphemeralEngineIT {
    @TempDir
    Path output;

    static Pod createPod(TestCluster cluster, TestNamespace namespace, String name, Map<String, String> labels) {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).addToLabels(labels).endMetadata()
                .withNewSpec()
                .withNodeName(cluster.nodeName().orElse(null))
                .withAutomountServiceAccountToken(false)
                .withTerminationGracePeriodSeconds(1L)
                .addNewContainer()
                .withName("app")
                .withImage(cluster.appImage())
                .withImagePullPolicy("IfNotPresent")
                .withCommand("sh", "-c", "mkdir -p /tmp/www && echo 'capture-packets e2e app' > /tmp/www/index.html"
                        + " && exec httpd -f -v -p " + E2ePods.APP_PORT + " -h /tmp/www")
                .withNewReadinessProbe().withNewTcpSocket().withNewPort(E2ePods.APP_PORT).endTcpSocket()
                .withPeriodSeconds(1).endReadinessProbe()
                .endContainer()
                .endSpec()
                .build();
        cluster.client().pods().inNamespace(namespace.name()).resource(pod).create();
        return E2ePods.awaitReady(cluster.client(), namespace, name);
    }

    private CaptureRequest.Builder request(TestCluster cluster, TestNamespace namespace, CaptureTarget target) {
        return CaptureRequest.builder().name("e2e").target(target).image(cluster.tcpdumpImage())
                .pullPolicy(PullPolicy.IF_NOT_PRESENT).limits(new CaptureLimits(Duration.ofMinutes(5), 0, 0, 0))
                .startTimeout(Duration.ofSeconds(60)).outputDirectory(output);
    }

    private static CaptureTarget pods(TestNamespace namespace, String... names) {
        return new CaptureTarget(namespace.name(), "", List.of(names), "");
    }

    @Test
    @DisplayName("captures a pod's HTTP traffic into its pcap, slices it per test, keeps one ephemeral container, "
            + "and checks tcpdump's counters against the packets that arrived")
    void capturesPodTraffic(TestCluster cluster, TestNamespace namespace) throws Exception {
        createPod(cluster, namespace, "traffic", Map.of("app", "traffic"));
        String first = "/first-" + UUID.randomUUID();
        String second = "/second-" + UUID.randomUUID();
        CaptureResult sliceOne;
        CaptureResult sliceTwo;
        CaptureResult whole;
        try (CaptureSession session = CaptureEngine.start(request(cluster, namespace, pods(namespace, "traffic"))
                .build(), cluster.client(), false)) {
            try (CaptureSession.Slice slice = session.slice("first test")) {
                E2ePods.sendHttpRequest(cluster, namespace, "traffic", first);
                sliceOne = slice.end();
            }
            try (CaptureSession.Slice slice = session.slice("second test")) {
                E2ePods.sendHttpRequest(cluster, namespace, "traffic", second);
                sliceTwo = slice.end();
            }
            whole = session.stop();
        }
        PodCapture capture = whole.captures().get(0);
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        byte[] pcap = Files.readAllBytes(capture.files().get(0));
        assertThat(E2ePcap.linkType(pcap)).isEqualTo(E2ePcap.LINKTYPE_LINUX_SLL2);
        assertThat(E2ePcap.containsAscii(pcap, "GET " + first + " HTTP/1.1")).isTrue();
        assertThat(E2ePcap.containsAscii(pcap, "GET " + second + " HTTP/1.1")).isTrue();
        assertThat(capture.counters()).isNotNull();
        assertThat(capture.counters().captured()).isEqualTo(capture.packets());

        byte[] one = Files.readAllBytes(sliceOne.captures().get(0).files().get(0));
        byte[] two = Files.readAllBytes(sliceTwo.captures().get(0).files().get(0));
        assertThat(E2ePcap.containsAscii(one, first)).isTrue();
        assertThat(E2ePcap.containsAscii(one, second)).isFalse();
        assertThat(E2ePcap.containsAscii(two, second)).isTrue();
        assertThat(E2ePcap.containsAscii(two, first)).isFalse();

        Pod pod = cluster.client().pods().inNamespace(namespace.name()).withName("traffic").get();
        assertThat(pod.getSpec().getEphemeralContainers()).as("one container for the whole session").hasSize(1);
        String name = pod.getSpec().getEphemeralContainers().get(0).getName();
        assertThat(awaitTerminated(cluster, namespace, "traffic", name, Duration.ofSeconds(30)))
                .as("closing the session ends the idle capture container").isPresent();
    }

    private static Optional<ContainerStatus> awaitTerminated(TestCluster cluster, TestNamespace namespace, String pod,
            String container, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ContainerStatus> status = KubernetesCapture.ephemeralStatus(
                    cluster.client().pods().inNamespace(namespace.name()).withName(pod).get(), container)
                    .filter(s -> s.getState() != null && s.getState().getTerminated() != null);
            if (status.isPresent()) {
                return status;
            }
            Thread.sleep(500);
        }
        return Optional.empty();
    }

    @Test
    @DisplayName("a pod deleted mid-capture keeps what arrived and is marked incomplete; the other pod carries on; "
            + "a pod created during the session is captured in its own file")
    void deletedAndNewPods(TestCluster cluster, TestNamespace namespace) throws Exception {
        createPod(cluster, namespace, "doomed", Map.of("group", "churn"));
        createPod(cluster, namespace, "survivor", Map.of("group", "churn"));
        String early = "/early-" + UUID.randomUUID();
        String late = "/late-" + UUID.randomUUID();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(request(cluster, namespace,
                new CaptureTarget(namespace.name(), "group=churn", List.of(), "")).build(), cluster.client(),
                false)) {
            E2ePods.sendHttpRequest(cluster, namespace, "doomed", early);
            Thread.sleep(500);
            cluster.client().pods().inNamespace(namespace.name()).withName("doomed").withGracePeriod(0).delete();
            createPod(cluster, namespace, "newcomer", Map.of("group", "churn"));
            awaitCaptured(session, "newcomer", Duration.ofSeconds(60));
            E2ePods.sendHttpRequest(cluster, namespace, "survivor", late);
            E2ePods.sendHttpRequest(cluster, namespace, "newcomer", late);
            Thread.sleep(500);
            result = session.stop();
        }
        PodCapture doomed = find(result, "doomed");
        assertThat(doomed.complete()).isFalse();
        assertThat(doomed.incompleteReason()).contains("was deleted during the capture");
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(doomed.files().get(0)), early)).isTrue();
        PodCapture survivor = find(result, "survivor");
        assertThat(survivor.complete()).as(survivor.incompleteReason()).isTrue();
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(survivor.files().get(0)), late)).isTrue();
        PodCapture newcomer = find(result, "newcomer");
        assertThat(newcomer.files()).doesNotContainAnyElementsOf(survivor.files());
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(newcomer.files().get(0)), late)).isTrue();
    }

    private static void awaitCaptured(CaptureSession session, String pod, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (((RecordingSession) session).recorders().stream().anyMatch(r -> r.pod.equals(pod) && r.running())) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the watch did not start capturing " + pod + " within " + timeout + "; captures: "
                + ((RecordingSession) session).recorders().stream().map(PodRecorder::snapshot).toList());
    }

    private static PodCapture find(CaptureResult result, String pod) {
        return result.captures().stream().filter(c -> c.pod().equals(pod)).findFirst()
                .orElseThrow(() -> new AssertionError("no capture of " + pod + " in " + result.captures()));
    }

    @Test
    @DisplayName("an image that cannot be pulled fails within the start timeout, naming the image and the "
            + "kubelet's reason")
    void imageCannotBePulled(TestCluster cluster, TestNamespace namespace) {
        createPod(cluster, namespace, "nopull", Map.of("app", "nopull"));
        String image = "127.0.0.1:1/capture-packets/does-not-exist:0.0.1";
        Instant begin = Instant.now();
        assertThatThrownBy(() -> CaptureEngine.start(request(cluster, namespace, pods(namespace, "nopull"))
                .image(image).pullPolicy(PullPolicy.ALWAYS).startTimeout(Duration.ofSeconds(40)).build(),
                cluster.client(), false))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("pod " + namespace.name() + "/nopull")
                .hasMessageContaining(image)
                .hasMessageContaining("kubelet reports")
                .hasMessageMatching("(?s).*(ErrImagePull|ImagePullBackOff).*");
        // A refused registry is no transient failure: it fails at once, not when the 40 s start timeout runs out.
        assertThat(Duration.between(begin, Instant.now())).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    @DisplayName("an RBAC-limited ServiceAccount gets one preflight message naming the missing permission and the "
            + "Role; with the documented minimal Role it captures")
    void rbacLimitedServiceAccount(TestCluster cluster, TestNamespace namespace) throws Exception {
        createPod(cluster, namespace, "rbac", Map.of("app", "rbac"));
        serviceAccount(cluster, namespace, "limited", List.of(rule("pods", "get", "list", "watch"),
                rule("pods/exec", "create", "get")));
        serviceAccount(cluster, namespace, "minimal", List.of(rule("pods", "get", "list", "watch"),
                rule("pods/ephemeralcontainers", "get", "patch", "update"), rule("pods/exec", "create", "get")));
        CaptureRequest request = request(cluster, namespace, pods(namespace, "rbac")).build();
        try (KubernetesClient limited = clientFor(cluster, namespace, "limited")) {
            assertThatThrownBy(() -> CaptureEngine.start(request, limited, false))
                    .isInstanceOf(CaptureException.class)
                    .hasMessageContaining("may not patch pods/ephemeralcontainers in namespace " + namespace.name())
                    .hasMessageContaining("resources: [\"pods/ephemeralcontainers\"]");
        }
        String path = "/rbac-" + UUID.randomUUID();
        try (KubernetesClient minimal = clientFor(cluster, namespace, "minimal")) {
            Preflight preflight = KubernetesPreflight.run(request, minimal);
            assertThat(preflight.failures()).isEmpty();
            CaptureResult result;
            try (CaptureSession session = CaptureEngine.start(request, minimal, false)) {
                E2ePods.sendHttpRequest(cluster, namespace, "rbac", path);
                result = session.stop();
            }
            PodCapture capture = result.captures().get(0);
            assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
            assertThat(E2ePcap.containsAscii(Files.readAllBytes(capture.files().get(0)), path)).isTrue();
        }
    }

    private static PolicyRule rule(String resource, String... verbs) {
        return new PolicyRuleBuilder().withApiGroups("").withResources(resource).withVerbs(verbs).build();
    }

    private static void serviceAccount(TestCluster cluster, TestNamespace namespace, String name,
            List<PolicyRule> rules) {
        KubernetesClient admin = cluster.client();
        String ns = namespace.name();
        admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
                .endMetadata().withAutomountServiceAccountToken(false).build()).create();
        admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(name)
                .endMetadata().withRules(rules).build()).create();
        admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata()
                .withName(name).endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
                .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(ns).endSubject()
                .build()).create();
    }

    private static KubernetesClient clientFor(TestCluster cluster, TestNamespace namespace, String serviceAccount) {
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build();
        TokenRequest issued = cluster.client().serviceAccounts().inNamespace(namespace.name())
                .withName(serviceAccount).tokenRequest(request);
        return cluster.clientWithToken(issued.getStatus().getToken());
    }

    @Test
    @DisplayName("exec mode captures with the tcpdump of an existing container (a sidecar)")
    void execMode(TestCluster cluster, TestNamespace namespace) throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withName("sidecar").endMetadata().withNewSpec()
                .withNodeName(cluster.nodeName().orElse(null)).withAutomountServiceAccountToken(false)
                .withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("app").withImage(cluster.appImage()).withImagePullPolicy("IfNotPresent")
                .withCommand("sh", "-c", "mkdir -p /tmp/www && exec httpd -f -p " + E2ePods.APP_PORT + " -h /tmp/www")
                .endContainer()
                .addNewContainer().withName("tcpdump").withImage(cluster.tcpdumpImage())
                .withImagePullPolicy("IfNotPresent").withCommand("sleep", "3600")
                .withNewSecurityContext().withRunAsUser(0L).withNewCapabilities().addToAdd("NET_RAW", "NET_ADMIN")
                .endCapabilities().endSecurityContext().endContainer()
                .endSpec().build();
        cluster.client().pods().inNamespace(namespace.name()).resource(pod).create();
        cluster.client().pods().inNamespace(namespace.name()).withName("sidecar").waitUntilCondition(
                p -> p != null && KubernetesCapture.capturable(p) && p.getStatus().getContainerStatuses().stream()
                        .allMatch(s -> Boolean.TRUE.equals(s.getStarted())), 120, java.util.concurrent.TimeUnit.SECONDS);
        String path = "/exec-" + UUID.randomUUID();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(request(cluster, namespace,
                new CaptureTarget(namespace.name(), "", List.of("sidecar"), "tcpdump")).mode(CaptureMode.EXEC)
                .build(), cluster.client(), false)) {
            E2ePods.sendHttpRequest(cluster, namespace, "sidecar", path);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.container()).isEqualTo("tcpdump");
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(capture.files().get(0)), path)).isTrue();
        assertThat(cluster.client().pods().inNamespace(namespace.name()).withName("sidecar").get().getSpec()
                .getEphemeralContainers()).isNullOrEmpty();
    }

    @Test
    @DisplayName("node mode captures from a privileged host-network pod on the target's node, filtered by pod IP, "
            + "and deletes that pod afterwards")
    void nodeMode(TestCluster cluster, TestNamespace namespace) throws Exception {
        createPod(cluster, namespace, "nodetarget", Map.of("app", "nodetarget"));
        String path = "/node-" + UUID.randomUUID();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(request(cluster, namespace,
                pods(namespace, "nodetarget")).mode(CaptureMode.NODE).build(), cluster.client(), false)) {
            assertThat(cluster.client().pods().inNamespace(namespace.name())
                    .withLabel(KubernetesCapture.MANAGED_BY_LABEL, KubernetesCapture.MANAGED_BY).list().getItems())
                    .hasSize(1);
            E2ePods.sendHttpRequest(cluster, namespace, "nodetarget", path);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(capture.files().get(0)), path)).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<Pod> left = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            left = cluster.client().pods().inNamespace(namespace.name())
                    .withLabel(KubernetesCapture.MANAGED_BY_LABEL, KubernetesCapture.MANAGED_BY).list().getItems();
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(left).as("the node capture pod is deleted").isEmpty();
    }

    @Test
    @DisplayName("in a namespace enforcing PodSecurity 'baseline' the capture container (root, no added "
            + "capabilities) is admitted and captures with the runtime's default NET_RAW")
    void baselineNamespace(TestCluster cluster) throws Exception {
        TestNamespace baseline = cluster.createNamespace("baseline");
        try {
            cluster.client().namespaces().withName(baseline.name()).edit(n -> {
                n.getMetadata().getLabels().put(KubernetesPreflight.ENFORCE_LABEL, "baseline");
                return n;
            });
            createPod(cluster, baseline, "guarded", Map.of("app", "guarded"));
            CaptureRequest request = request(cluster, baseline, pods(baseline, "guarded")).build();
            Preflight preflight = KubernetesPreflight.run(request, cluster.client());
            assertThat(preflight.passed()).as(preflight.message()).isTrue();
            assertThat(preflight.message()).contains("'baseline'");
            String path = "/baseline-" + UUID.randomUUID();
            CaptureResult result;
            try (CaptureSession session = CaptureEngine.start(request, cluster.client(), false)) {
                E2ePods.sendHttpRequest(cluster, baseline, "guarded", path);
                result = session.stop();
            }
            PodCapture capture = result.captures().get(0);
            assertThat(capture.complete()).as(capture.incompleteReason()).isTrue();
            assertThat(E2ePcap.containsAscii(Files.readAllBytes(capture.files().get(0)), path)).isTrue();
        } finally {
            cluster.deleteNamespace(baseline);
        }
    }

    @Test
    @DisplayName("a stream that breaks (tcpdump killed inside the pod) keeps what arrived, says so, and stopping "
            + "does not hang")
    void brokenStream(TestCluster cluster, TestNamespace namespace) throws Exception {
        createPod(cluster, namespace, "breaking", Map.of("app", "breaking"));
        String path = "/before-break-" + UUID.randomUUID();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(request(cluster, namespace, pods(namespace, "breaking"))
                .build(), cluster.client(), false)) {
            E2ePods.sendHttpRequest(cluster, namespace, "breaking", path);
            Thread.sleep(500);
            PodRecorder recorder = ((RecordingSession) session).recorders().get(0);
            String pid = recorder.stderr().awaitPid(1_000);
            String container = "capture-packets-" + ((RecordingSession) session).id;
            E2ePods.exec(cluster.client(), namespace, "breaking", container, Duration.ofSeconds(20),
                    "sh", "-c", "kill -KILL " + pid);
            Instant stopping = Instant.now();
            result = session.stop();
            assertThat(Duration.between(stopping, Instant.now())).isLessThan(Duration.ofSeconds(20));
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.complete()).isFalse();
        assertThat(capture.incompleteReason()).contains("closing counters never arrived");
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(capture.files().get(0)), path)).isTrue();
    }

    @Test
    @DisplayName("a target container that restarts mid-capture is reported, and the capture goes on")
    void restartedContainer(TestCluster cluster, TestNamespace namespace) throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withName("restarting").endMetadata().withNewSpec()
                .withNodeName(cluster.nodeName().orElse(null)).withAutomountServiceAccountToken(false)
                .withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("app").withImage(cluster.appImage()).withImagePullPolicy("IfNotPresent")
                // Serves HTTP until /tmp/stop exists, then exits, so the kubelet restarts it.
                .withCommand("sh", "-c", "rm -f /tmp/stop; mkdir -p /tmp/www; httpd -f -p " + E2ePods.APP_PORT
                        + " -h /tmp/www & while [ ! -f /tmp/stop ]; do sleep 0.2; done")
                .endContainer().endSpec().build();
        cluster.client().pods().inNamespace(namespace.name()).resource(pod).create();
        cluster.client().pods().inNamespace(namespace.name()).withName("restarting").waitUntilCondition(
                p -> p != null && KubernetesCapture.capturable(p), 120, java.util.concurrent.TimeUnit.SECONDS);
        String after = "/after-restart-" + UUID.randomUUID();
        CaptureResult result;
        try (CaptureSession session = CaptureEngine.start(request(cluster, namespace, pods(namespace, "restarting"))
                .build(), cluster.client(), false)) {
            E2ePods.exec(cluster.client(), namespace, "restarting", "app", Duration.ofSeconds(20),
                    "touch", "/tmp/stop");
            cluster.client().pods().inNamespace(namespace.name()).withName("restarting").waitUntilCondition(
                    p -> KubernetesCapture.restartCount(p, "app") > 0 && KubernetesCapture.capturable(p)
                            && KubernetesCapture.containerStatus(p, "app").map(s -> s.getState().getRunning() != null)
                                    .orElse(false), 120, java.util.concurrent.TimeUnit.SECONDS);
            Thread.sleep(1_000);
            E2ePods.sendHttpRequest(cluster, namespace, "restarting", after);
            result = session.stop();
        }
        PodCapture capture = result.captures().get(0);
        assertThat(capture.complete()).isFalse();
        assertThat(capture.incompleteReason()).contains("restarted during the capture (restart count 0 -> 1)");
        assertThat(E2ePcap.containsAscii(Files.readAllBytes(capture.files().get(0)), after))
                .as("packets after the restart are captured").isTrue();
    }
}
