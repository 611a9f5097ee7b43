package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient
@DisplayName("Kubernetes capture flows against fabric8's mock API server (expectations mode)")
class KubernetesMockTest {
    static KubernetesMockServer server;
    static KubernetesClient client;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The permissions SelfSubjectAccessReviews deny ("verb resource/subresource"), set by each test. */
    private static volatile Set<String> denied = Set.of();

    @BeforeAll
    static void accessReviews() {
        // The mock server keeps expectations across tests, so one reply serves all, answering from `denied`.
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
                .andReply(200, request -> {
                    SelfSubjectAccessReview review = client.getKubernetesSerialization()
                            .unmarshal(request.getUtf8Body(), SelfSubjectAccessReview.class);
                    var attributes = review.getSpec().getResourceAttributes();
                    String key = attributes.getVerb() + " " + attributes.getResource()
                            + (attributes.getSubresource() == null ? "" : "/" + attributes.getSubresource());
                    boolean allowed = !denied.contains(key);
                    review.setStatus(new io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatus(
                            allowed, false, "", allowed ? "" : "no RBAC policy matched"));
                    return review;
                }).always();
    }

    @TempDir
    Path output;

    private static Pod pod(String name, String phase, String... ephemeralWaiting) {
        PodBuilder builder = new PodBuilder().withNewMetadata().withName(name).withNamespace("shop")
                .withUid("uid-" + name).addToLabels("app", "web")
                .addToAnnotations("kubectl.kubernetes.io/default-container", "app").endMetadata()
                .withNewSpec().withNodeName("node-1")
                .addNewContainer().withName("istio-proxy").withImage("proxy").endContainer()
                .addNewContainer().withName("app").withImage("app").endContainer()
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(1000L).endSecurityContext()
                .endSpec()
                .withNewStatus().withPhase(phase).withPodIP("10.0.0.7").endStatus();
        Pod pod = builder.build();
        if (ephemeralWaiting.length == 3) {
            pod.getStatus().setEphemeralContainerStatuses(List.of(new ContainerStatusBuilder()
                    .withName(ephemeralWaiting[0]).withNewState().withNewWaiting().withReason(ephemeralWaiting[1])
                    .withMessage(ephemeralWaiting[2]).endWaiting().endState().build()));
        }
        return pod;
    }

    private CaptureRequest.Builder request() {
        return CaptureRequest.builder().name("mock").target(new CaptureTarget("shop", "", List.of("web-1"), ""))
                .image("registry.example/capture/tcpdump:4.99").pullPolicy(PullPolicy.ALWAYS).filter("tcp port 8080")
                .limits(new CaptureLimits(Duration.ofMinutes(10), 0, 0, 0)).startTimeout(Duration.ofSeconds(2))
                .outputDirectory(output);
    }

    private static List<RecordedRequest> requests() throws InterruptedException {
        List<RecordedRequest> all = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
            all.add(request);
        }
        return all;
    }

    @Test
    @DisplayName("an image pull error that no retry fixes (refused, not found, denied) is fatal at once; a transient"
            + " one and a pull in progress are not")
    void permanentPullErrors() {
        assertThat(KubernetesCapture.fatalWaiting("ErrImagePull", "failed to pull and unpack image "
                + "\"127.0.0.1:1/x:1\": dial tcp 127.0.0.1:1: connect: connection refused")).isTrue();
        assertThat(KubernetesCapture.fatalWaiting("ErrImagePull", "rpc error: code = NotFound desc = failed to "
                + "pull and unpack image: docker.io/library/nope:1: not found")).isTrue();
        assertThat(KubernetesCapture.fatalWaiting("ErrImagePull", "pull access denied, repository does not exist"))
                .isTrue();
        assertThat(KubernetesCapture.fatalWaiting("ErrImagePull", "context deadline exceeded")).isFalse();
        assertThat(KubernetesCapture.fatalWaiting("ImagePullBackOff", null)).isTrue();
        assertThat(KubernetesCapture.fatalWaiting("ContainerCreating", null)).isFalse();
        assertThat(KubernetesCapture.fatalWaiting(null, null)).isFalse();
    }

    @Test
    @DisplayName("the PATCH adds one ephemeral container: image, pull policy, root with NET_RAW/NET_ADMIN, the hard "
            + "time limit in its command, no shared process namespace; a pull failure names image and reason")
    void patchBodyAndImagePullFailure() throws Exception {
        requests();
        server.expect().get().withPath("/api/v1/namespaces/shop/pods/web-3").andReply(200, request -> {
            // Until the PATCH the pod has no ephemeral container; afterwards the kubelet reports a pull failure.
            return pod("web-3", "Running", patchedContainerName(), "ImagePullBackOff",
                    "Back-off pulling image \"registry.example/capture/tcpdump:4.99\"");
        }).always();
        server.expect().patch().withPath("/api/v1/namespaces/shop/pods/web-3/ephemeralcontainers")
                .andReply(200, request -> {
                    patchBody = request.getUtf8Body();
                    return pod("web-3", "Running");
                }).always();

        CaptureRequest request = CaptureRequest.builder().name("mock")
                .target(new CaptureTarget("shop", "", List.of("web-3"), ""))
                .image("registry.example/capture/tcpdump:4.99").pullPolicy(PullPolicy.ALWAYS)
                .limits(new CaptureLimits(Duration.ofMinutes(10), 0, 0, 0)).startTimeout(Duration.ofSeconds(2))
                .outputDirectory(output).build();
        long begin = System.nanoTime();
        assertThatThrownBy(() -> KubernetesCapture.start(request, client, false))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("pod shop/web-3")
                .hasMessageContaining("image 'registry.example/capture/tcpdump:4.99'")
                .hasMessageContaining("ImagePullBackOff: Back-off pulling image")
                .hasMessageContaining("mirror docker.io/nicolaka/netshoot:v0.13");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(2));

        List<RecordedRequest> sent = requests();
        assertThat(sent).filteredOn(r -> r.getMethod().equals("PATCH")).hasSize(1).first()
                .satisfies(r -> assertThat(r.getHeader("Content-Type"))
                        .startsWith("application/strategic-merge-patch+json"));
        JsonNode containers = JSON.readTree(patchBody).path("spec").path("ephemeralContainers");
        assertThat(containers).hasSize(1);
        JsonNode container = containers.get(0);
        assertThat(container.path("name").asText()).matches("capture-packets-[0-9a-f]{6}");
        assertThat(container.has("targetContainerName"))
                .as("no shared process namespace: a target restart must not kill tcpdump").isFalse();
        assertThat(container.path("image").asText()).isEqualTo("registry.example/capture/tcpdump:4.99");
        assertThat(container.path("imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(container.path("securityContext").path("runAsUser").asLong()).isZero();
        assertThat(container.path("securityContext").path("runAsNonRoot").asBoolean(true)).isFalse();
        assertThat(container.path("securityContext").path("capabilities").path("add").toString())
                .isEqualTo("[\"NET_RAW\",\"NET_ADMIN\"]");
        assertThat(container.path("command").toString()).as("ends on its own 60 s after the 10 min limit")
                .contains("-lt 660").contains("/tmp/capture-packets-done");
    }

    private static volatile String patchBody;

    private static String patchedContainerName() {
        if (patchBody == null) {
            return "not-yet";
        }
        try {
            return JSON.readTree(patchBody).path("spec").path("ephemeralContainers").get(0).path("name").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("a requested container the pod does not have is named with the pod's containers")
    void unknownContainer() {
        server.expect().get().withPath("/api/v1/namespaces/shop/pods/web-9").andReturn(200, pod("web-9", "Running"))
                .always();
        CaptureRequest request = request().target(new CaptureTarget("shop", "", List.of("web-9"), "sidecar"))
                .build();
        CaptureRequest only = CaptureRequest.builder().name("mock")
                .target(new CaptureTarget("shop", "", List.of("web-9"), "sidecar")).outputDirectory(output)
                .startTimeout(Duration.ofSeconds(2)).build();
        assertThat(request.targets()).hasSize(2);
        assertThatThrownBy(() -> KubernetesCapture.start(only, client, false))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("Pod shop/web-9 has no container 'sidecar'")
                .hasMessageContaining("[istio-proxy, app]");
    }

    @Test
    @DisplayName("pod updates come from one informer per namespace: a change the watch reports wakes the waiter at "
            + "once with the new pod; a namespace that cannot be listed is reported as not followed (callers poll)")
    void podUpdatesFollowTheNamespaceWatch() throws Exception {
        server.expect().get().withPath("/api/v1/namespaces/news/pods?resourceVersion=0")
                .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("5").endMetadata()
                        .addToItems(inNamespace(pod("web-7", "Running"), "news", "5")).build()).always();
        Pod changed = inNamespace(pod("web-7", "Running", "capture-packets-abc", "ContainerCreating", ""), "news",
                "6");
        server.expect().withPath("/api/v1/namespaces/news/pods?allowWatchBookmarks=true&resourceVersion=5"
                + "&timeoutSeconds=600&watch=true").andUpgradeToWebSocket().open()
                .waitFor(1000).andEmit(new WatchEvent(changed, "MODIFIED")).done().once();

        try (PodUpdates updates = new PodUpdates(client)) {
            updates.follow("news");
            updates.follow("unlisted");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!updates.following("news") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(updates.following("news")).isTrue();
            assertThat(updates.following("unlisted")).as("listing answered 404").isFalse();
            long seen = updates.version("news", "web-7");
            assertThat(updates.latest("news", "web-7").getStatus().getEphemeralContainerStatuses()).isNullOrEmpty();

            long begin = System.nanoTime();
            assertThat(updates.awaitChange("news", "web-7", seen, 5_000)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).as("woken by the event, not by the time limit")
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(KubernetesCapture.ephemeralStatus(updates.latest("news", "web-7"), "capture-packets-abc"))
                    .hasValueSatisfying(status -> assertThat(status.getState().getWaiting().getReason())
                            .isEqualTo("ContainerCreating"));
            assertThat(updates.awaitChange("news", "web-7", updates.version("news", "web-7"), 200))
                    .as("nothing newer").isFalse();
        }
    }

    private static Pod inNamespace(Pod pod, String namespace, String resourceVersion) {
        pod.getMetadata().setNamespace(namespace);
        pod.getMetadata().setResourceVersion(resourceVersion);
        return pod;
    }

    /**
     * A running pod that accepts the capture container's PATCH (recording its body in {@link #patchBody}) and then
     * reports that container waiting with InvalidImageName, so the capture ends at once.
     */
    private static void expectPatchedPod(String name) {
        server.expect().get().withPath("/api/v1/namespaces/shop/pods/" + name).andReply(200,
                request -> pod(name, "Running", patchedContainerName(), "InvalidImageName",
                        "Failed to apply default image tag")).always();
        server.expect().patch().withPath("/api/v1/namespaces/shop/pods/" + name + "/ephemeralcontainers")
                .andReply(200, request -> {
                    patchBody = request.getUtf8Body();
                    return pod(name, "Running");
                }).always();
    }

    @Test
    @DisplayName("a pod that appears during the session is picked up by the watch and gets its own capture")
    void watchPicksUpNewPod() throws Exception {
        requests();
        patchBody = null;
        // At start the selector matches only a pod that is not running yet: nothing to capture, the watch waits.
        server.expect().get().withPath("/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb")
                .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("1").endMetadata()
                        .addToItems(pod("web-new", "Pending")).build()).always();
        server.expect().withPath("/api/v1/namespaces/shop/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb"
                + "&watch=true").andUpgradeToWebSocket().open()
                .waitFor(300).andEmit(new WatchEvent(pod("web-new", "Running"), "MODIFIED"))
                .done().once();
        expectPatchedPod("web-new");

        CaptureRequest request = CaptureRequest.builder().name("watch")
                .target(new CaptureTarget("shop", "app=web", List.of(), "")).outputDirectory(output)
                .startTimeout(Duration.ofSeconds(2)).build();
        try (CaptureSession session = KubernetesCapture.start(request, client, false)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (patchBody == null && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(patchBody).as("the new pod got an ephemeral container").isNotNull();
            Thread.sleep(500);
            CaptureResult result = session.stop();
            assertThat(result.captures()).hasSize(1);
            PodCapture capture = result.captures().get(0);
            assertThat(capture.pod()).isEqualTo("web-new");
            assertThat(capture.complete()).isFalse();
            assertThat(capture.incompleteReason()).contains("appeared during the session")
                    .contains("InvalidImageName");
        }
    }

    @Test
    @DisplayName("a watch whose WebSocket upgrade never completes does not hold up the start: the poll follows the "
            + "pods and picks up a new one")
    void stalledWatchDoesNotBlockTheStart() throws Exception {
        requests();
        patchBody = null;
        AtomicInteger lists = new AtomicInteger();
        server.expect().get().withPath("/api/v1/namespaces/shop/pods?labelSelector=app%3Dlate")
                .andReply(200, request -> new PodListBuilder().withNewMetadata().withResourceVersion("1")
                        .endMetadata().addToItems(pod("web-late", lists.getAndIncrement() == 0 ? "Pending" : "Running"))
                        .build()).always();
        expectPatchedPod("web-late");
        // Watch upgrades that never complete, as when vert.x drops a WebSocket closed right after its upgrade and
        // fabric8's watch() then waits without a time limit.
        CountDownLatch release = new CountDownLatch(1);
        Interceptor stallWatches = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                if (request.uri().toString().contains("watch=true")) {
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        CaptureRequest request = CaptureRequest.builder().name("stalled-watch")
                .target(new CaptureTarget("shop", "app=late", List.of(), "")).outputDirectory(output)
                .startTimeout(Duration.ofSeconds(2)).build();
        try (KubernetesClient stalling = new KubernetesClientBuilder().withConfig(client.getConfiguration())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("stall-watches", stallWatches))
                .build()) {
            long begin = System.nanoTime();
            try (CaptureSession session = KubernetesCapture.start(request, stalling, false)) {
                assertThat(Duration.ofNanos(System.nanoTime() - begin))
                        .as("the start waits for the watch at most WATCH_START_MILLIS")
                        .isLessThan(Duration.ofMillis(KubernetesCapture.WATCH_START_MILLIS + 3_000));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (patchBody == null && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(patchBody).as("the poll found the pod once it ran and added the capture container")
                        .isNotNull();
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    @DisplayName("an unreachable cluster fails before anything starts, naming the server and the kubeconfig")
    void unreachableCluster(@TempDir Path dir) throws Exception {
        Path kubeconfig = dir.resolve("config");
        java.nio.file.Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gone
                  cluster:
                    server: https://127.0.0.1:1
                contexts:
                - name: gone
                  context:
                    cluster: gone
                    user: someone
                current-context: gone
                users:
                - name: someone
                  user:
                    token: abc
                """);
        long begin = System.nanoTime();
        assertThatThrownBy(() -> CaptureEngine.start(request().build(), new ClusterAccess(kubeconfig, "")))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("Cannot reach the Kubernetes API server at https://127.0.0.1:1")
                .hasMessageContaining("kubeconfig " + kubeconfig);
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(15));
        assertThatThrownBy(() -> CaptureEngine.start(request().build(), new ClusterAccess(kubeconfig, "prod")))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("has no context 'prod'; its contexts are [gone]");
        assertThatThrownBy(() -> CaptureEngine.start(request().build(),
                new ClusterAccess(dir.resolve("missing"), "")))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("does not exist or is not readable");
    }

    @Test
    @DisplayName("the preflight names every missing permission, the PodSecurity level and runAsNonRoot, with the "
            + "Role YAML, in one message")
    void preflightMessages() {
        denied = Set.of("patch pods/ephemeralcontainers", "create pods/exec");
        Namespace namespace = new NamespaceBuilder().withNewMetadata().withName("shop")
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build();
        server.expect().get().withPath("/api/v1/namespaces/shop").andReturn(200, namespace).always();
        server.expect().get().withPath("/api/v1/namespaces/shop/pods/web-1").andReturn(200, pod("web-1", "Running"))
                .always();

        Preflight preflight = KubernetesPreflight.run(request().build(), client);

        assertThat(preflight.passed()).isFalse();
        assertThat(preflight.failures()).extracting(Preflight.Check::name).containsExactlyInAnyOrder(
                "patch pods/ephemeralcontainers", "create pods/exec",
                "PodSecurity allows a root container with NET_RAW and NET_ADMIN",
                "root capture container next to runAsNonRoot");
        assertThat(preflight.message())
                .contains("Capture 'mock' (ephemeral mode) cannot start: 4 problems")
                .contains("namespace shop: patch pods/ephemeralcontainers: the identity in the kubeconfig may not "
                        + "patch pods/ephemeralcontainers in namespace shop (no RBAC policy matched)")
                .contains("create pods/exec")
                .contains("resources: [\"pods/ephemeralcontainers\"]")
                .contains("enforces PodSecurity 'restricted', which forbids running as root")
                .contains("pod-security.kubernetes.io/enforce=privileged --overwrite")
                .contains("pod shop/web-1: root capture container next to runAsNonRoot: the pod sets "
                        + "runAsNonRoot: true and namespace shop enforces 'restricted'")
                .contains("use exec mode with a sidecar that has tcpdump");
        assertThat(preflight.message().split("\nkind: Role\n", -1)).as("the Role YAML is shown once").hasSize(2);
        assertThat(preflight.checks()).anySatisfy(c -> {
            assertThat(c.name()).isEqualTo("ephemeral containers (Kubernetes 1.25+)");
            assertThat(c.status()).isEqualTo(Preflight.Status.OK);
        });
    }

    @Test
    @DisplayName("under PodSecurity 'baseline' the capture container adds no capabilities (root stays allowed), "
            + "and the preflight warns that it relies on the runtime's default NET_RAW")
    void baselineNamespace() throws Exception {
        Namespace legacy = new NamespaceBuilder().withNewMetadata().withName("legacy")
                .addToLabels("pod-security.kubernetes.io/enforce", "baseline").endMetadata().build();
        server.expect().get().withPath("/api/v1/namespaces/legacy").andReturn(200, legacy).always();
        Pod pod = pod("web-4", "Running");
        pod.getMetadata().setNamespace("legacy");
        pod.getSpec().setSecurityContext(null);
        server.expect().get().withPath("/api/v1/namespaces/legacy/pods/web-4").andReturn(200, pod).always();
        String[] body = new String[1];
        server.expect().patch().withPath("/api/v1/namespaces/legacy/pods/web-4/ephemeralcontainers")
                .andReply(422, request -> {
                    body[0] = request.getUtf8Body();
                    return new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(422)
                            .withMessage("rejected by the test").build();
                }).always();
        denied = Set.of();
        CaptureRequest request = CaptureRequest.builder().name("legacy")
                .target(new CaptureTarget("legacy", "", List.of("web-4"), "")).outputDirectory(output)
                .startTimeout(Duration.ofSeconds(2)).build();

        Preflight preflight = KubernetesPreflight.run(request, client);
        assertThat(preflight.passed()).as(preflight.message()).isTrue();
        assertThat(preflight.message()).contains("relies on the container runtime's default set")
                .contains("CRI-O");

        assertThatThrownBy(() -> KubernetesCapture.start(request, client, false))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("HTTP 422, rejected by the test");
        JsonNode security = JSON.readTree(body[0]).path("spec").path("ephemeralContainers").get(0)
                .path("securityContext");
        assertThat(security.path("runAsUser").asLong(-1)).isZero();
        assertThat(security.path("capabilities").path("add")).isEmpty();
    }

    @Test
    @DisplayName("a server older than 1.25 fails the preflight with the version and the exec/node alternatives")
    void serverTooOld() throws Exception {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        // A server of its own: the shared one answers /version for every test.
        KubernetesMockServer old = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
                new MockDispatcher(responses), false,
                new VersionInfo.Builder().withMajor("1").withMinor("24").withGitVersion("v1.24.17").build());
        old.init();
        try (KubernetesClient oldClient = old.createClient()) {
            old.expect().get().withPath("/api/v1/namespaces/old/pods/web-5").andReturn(200, pod("web-5", "Running"))
                    .always();
            CaptureRequest request = CaptureRequest.builder().name("old")
                    .target(new CaptureTarget("old", "", List.of("web-5"), "")).outputDirectory(output).build();
            Preflight preflight = KubernetesPreflight.run(request, oldClient);
            assertThat(preflight.failures()).extracting(Preflight.Check::name)
                    .contains("ephemeral containers (Kubernetes 1.25+)");
            assertThat(preflight.message()).contains("the API server is v1.24.17")
                    .contains("use exec mode").contains("node mode");
        } finally {
            old.destroy();
        }
    }
}
