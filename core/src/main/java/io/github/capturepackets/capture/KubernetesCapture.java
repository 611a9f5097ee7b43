package io.github.capturepackets.capture;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.EphemeralContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Ephemeral, exec and node modes. Each target pod gets one tcpdump whose pcap streams back over {@code pods/exec};
 * the pods start in parallel, and the engine adds little beyond what the nodes need (docs/capture-engine.md has
 * the measurements).
 */
final class KubernetesCapture {
    static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    static final String MANAGED_BY = "capture-packets";
    static final String SESSION_LABEL = "capture-packets.github.io/session";
    static final String DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";
    /** The capture container outlives tcpdump's own limit by this much, so the closing counters can be read. */
    static final Duration CONTAINER_MARGIN = Duration.ofSeconds(60);
    /** How often a pod is polled while no informer reports on its namespace. */
    static final long POLL_MILLIS = 250;
    /** With an informer, a pod is still asked for directly when no update came for this long (a silent watch). */
    static final long UPDATE_FALLBACK_MILLIS = 1_000;
    /** How often the target pods are listed to catch what a silent watch missed. */
    static final long FOLLOW_POLL_MILLIS = 1_000;
    /** How long the start waits for the watches (a refusal fails it); later the poll covers for a late watch. */
    static final long WATCH_START_MILLIS = 5_000;
    /** Written by the session when it closes, so the idle capture container ends at once. */
    static final String DONE_FILE = "/tmp/capture-packets-done";
    /** Waiting reasons the kubelet will not recover from by itself within a start timeout. */
    static final Set<String> FATAL_WAITING_REASONS = Set.of("ImagePullBackOff", "InvalidImageName",
            "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
            "PreCreateHookError", "PostStartHookError");

    /**
     * ErrImagePull messages that name a cause no retry fixes within a start timeout. The kubelet may report
     * ErrImagePull for a minute before it moves on to ImagePullBackOff, so waiting for that costs the whole timeout.
     */
    private static final List<String> PERMANENT_PULL_ERRORS = List.of("not found", "manifest unknown",
            "unauthorized", "denied", "no such host", "connection refused", "invalid reference");

    private KubernetesCapture() {
    }

    /** True when the kubelet's waiting reason means the container will not start by itself. */
    static boolean fatalWaiting(String reason, String message) {
        if (reason == null) {
            return false;
        }
        if (FATAL_WAITING_REASONS.contains(reason)) {
            return true;
        }
        if ("ErrImagePull".equals(reason) && message != null) {
            String lower = message.toLowerCase(java.util.Locale.ROOT);
            return PERMANENT_PULL_ERRORS.stream().anyMatch(lower::contains);
        }
        return false;
    }

    static CaptureSession start(CaptureRequest request, KubernetesClient client, boolean ownsClient) {
        return start(request, client, ownsClient, new StartupTimeline());
    }

    static CaptureSession start(CaptureRequest request, KubernetesClient client, boolean ownsClient,
            StartupTimeline timeline) {
        Session session = new Session(request, client, ownsClient, timeline);
        return RecordingSession.beginOrStop(session, session::begin);
    }

    /** The container a capture targets: the requested one, the annotated default, or the first. */
    static String targetContainer(Pod pod, CaptureTarget target) {
        List<String> names = pod.getSpec().getContainers().stream().map(Container::getName).toList();
        String wanted = target.container();
        if (wanted.isEmpty()) {
            Map<String, String> annotations = pod.getMetadata().getAnnotations();
            wanted = annotations == null ? "" : annotations.getOrDefault(DEFAULT_CONTAINER_ANNOTATION, "");
            if (wanted.isEmpty() || !names.contains(wanted)) {
                return names.get(0);
            }
            return wanted;
        }
        if (!names.contains(wanted)) {
            throw new CaptureException("Pod " + name(pod) + " has no container '" + wanted + "'; its containers are "
                    + names + ". Set the target container to one of them, or leave it empty for the default.");
        }
        return wanted;
    }

    static String name(Pod pod) {
        return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    /**
     * The ephemeral container added to each pod: root with NET_RAW and NET_ADMIN, idling until the hard limit.
     * Under PodSecurity {@code baseline}, which forbids adding capabilities but allows root, it adds none and
     * relies on the runtime's default set (containerd's includes NET_RAW, CRI-O's does not).
     *
     * <p>No {@code targetContainerName}: sharing the target's process namespace lets a restart of the target
     * container SIGKILL tcpdump and end the capture container for good (seen on a real cluster); the network
     * namespace, all tcpdump needs, belongs to the pod. The idle loop (not a bare {@code sleep}, which as PID 1
     * of its own namespace would ignore signals) ends at the hard limit or when the session writes the done file.
     * {@code $$} is how a pod spec spells a literal {@code $}.
     */
    static EphemeralContainer ephemeralContainer(CaptureRequest request, String name, boolean addCapabilities) {
        long lifetime = TcpdumpCommand.seconds(request.limits().maxDuration().plus(CONTAINER_MARGIN));
        return new EphemeralContainerBuilder()
                .withName(name)
                .withImage(request.image())
                .withImagePullPolicy(request.pullPolicy().kubernetesName())
                .withCommand("sh", "-c", "n=0; while [ \"$$n\" -lt " + lifetime + " ] && [ ! -f " + DONE_FILE
                        + " ]; do sleep 1; n=$$((n+1)); done")
                .withStdin(false)
                .withTty(false)
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withNewSecurityContext()
                .withRunAsUser(0L)
                .withRunAsNonRoot(false)
                .withNewCapabilities().addToAdd(addCapabilities ? new String[] {"NET_RAW", "NET_ADMIN"}
                        : new String[0]).endCapabilities()
                .endSecurityContext()
                .build();
    }

    static Optional<ContainerStatus> ephemeralStatus(Pod pod, String container) {
        if (pod == null || pod.getStatus() == null || pod.getStatus().getEphemeralContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getEphemeralContainerStatuses().stream()
                .filter(s -> container.equals(s.getName())).findFirst();
    }

    static Optional<ContainerStatus> containerStatus(Pod pod, String container) {
        if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream().filter(s -> container.equals(s.getName())).findFirst();
    }

    static int restartCount(Pod pod, String container) {
        return containerStatus(pod, container).map(ContainerStatus::getRestartCount).orElse(0);
    }

    static boolean capturable(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase());
    }

    private static final class Session extends RecordingSession {
        private final KubernetesClient client;
        private final boolean ownsClient;
        private final String containerName;
        private final Map<String, PodRecorder> byUid = new ConcurrentHashMap<>();
        private final Map<String, String> captureContainerByUid = new ConcurrentHashMap<>();
        private final Set<String> starting = ConcurrentHashMap.newKeySet();
        private final Set<String> usedBases = ConcurrentHashMap.newKeySet();
        private final List<Watch> watches = new CopyOnWriteArrayList<>();
        private final List<ExecProcess> execs = new CopyOnWriteArrayList<>();
        private final Map<String, CompletableFuture<Pod>> nodePods = new ConcurrentHashMap<>();
        private final Map<String, String> idleContainers = new ConcurrentHashMap<>();
        private final Map<String, String> podSecurityLevels = new ConcurrentHashMap<>();
        private final Map<String, Integer> restarts = new ConcurrentHashMap<>();
        private final Map<String, CaptureTarget> targetByUid = new ConcurrentHashMap<>();
        private final List<ScheduledFuture<?>> polls = new CopyOnWriteArrayList<>();
        private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "capture-packets-follow");
            t.setDaemon(true);
            return t;
        });
        private final PodUpdates podUpdates;
        private volatile boolean stopping;

        Session(CaptureRequest request, KubernetesClient client, boolean ownsClient, StartupTimeline timeline) {
            super(request, timeline);
            this.client = client;
            this.ownsClient = ownsClient;
            this.containerName = "capture-packets-" + id;
            this.podUpdates = new PodUpdates(client);
        }

        void begin() {
            // The informers list and start watching, and the PodSecurity levels are read, while the pods are
            // resolved: otherwise every PATCH would wait for the namespace GET.
            for (CaptureTarget target : request.targets()) {
                podUpdates.follow(target.namespace());
                if (request.mode() == CaptureMode.EPHEMERAL) {
                    executor.execute(() -> podSecurityLevel(target.namespace()));
                }
            }
            Map<String, Map.Entry<CaptureTarget, Pod>> pods = resolve();
            timeline.record(StartupTimeline.SESSION, StartupTimeline.PODS_RESOLVED);
            List<CompletableFuture<PodRecorder>> starts = new ArrayList<>();
            for (Map.Entry<CaptureTarget, Pod> entry : pods.values()) {
                starting.add(entry.getValue().getMetadata().getUid());
                starts.add(CompletableFuture.supplyAsync(() -> startPod(entry.getKey(), entry.getValue()), executor));
            }
            List<String> failures = new ArrayList<>();
            for (CompletableFuture<PodRecorder> start : starts) {
                try {
                    start.join();
                } catch (RuntimeException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    failures.add(cause instanceof CaptureException ? cause.getMessage()
                            : cause.getClass().getSimpleName() + ": " + ClusterConnection.rootMessage(cause));
                }
            }
            if (!failures.isEmpty()) {
                throw new CaptureException(failures.size() == 1 ? failures.get(0)
                        : failures.size() + " of " + starts.size() + " captures could not start: "
                                + String.join(" | ", failures));
            }
            timeline.record(StartupTimeline.SESSION, StartupTimeline.ALL_STARTED);
            // Needed only while containers start; pods that appear later are followed by watch() and poll().
            podUpdates.close();
            watch();
        }

        /** Target pods by UID, with the target that selected them. */
        private Map<String, Map.Entry<CaptureTarget, Pod>> resolve() {
            Map<String, Map.Entry<CaptureTarget, Pod>> found = new LinkedHashMap<>();
            for (CaptureTarget target : request.targets()) {
                String ns = target.namespace();
                List<Pod> pods = new ArrayList<>();
                try {
                    // In parallel: twenty named pods cost one round trip, not twenty.
                    List<CompletableFuture<Pod>> gets = target.pods().stream().map(podName -> CompletableFuture
                            .supplyAsync(() -> client.pods().inNamespace(ns).withName(podName).get(), executor))
                            .toList();
                    for (int i = 0; i < gets.size(); i++) {
                        Pod pod = KubernetesPreflight.joined(gets.get(i));
                        if (pod == null) {
                            String podName = target.pods().get(i);
                            throw new CaptureException("Pod " + ns + "/" + podName + " does not exist: check the pod"
                                    + " name and namespace (kubectl get pods -n " + ns + ").");
                        }
                        pods.add(pod);
                    }
                    if (!target.labelSelector().isEmpty()) {
                        List<Pod> selected = client.pods().inNamespace(ns).withLabelSelector(target.labelSelector())
                                .list().getItems();
                        if (selected.isEmpty() && target.pods().isEmpty()) {
                            throw new CaptureException("No pod in namespace " + ns + " matches the label selector '"
                                    + target.labelSelector() + "': check it (kubectl get pods -n " + ns + " -l '"
                                    + target.labelSelector() + "').");
                        }
                        pods.addAll(selected);
                    }
                } catch (KubernetesClientException e) {
                    throw new CaptureException(describeApiFailure(e, "list/get pods in namespace " + ns, ns), e);
                }
                for (Pod pod : pods) {
                    if (!capturable(pod)) {
                        if (target.pods().contains(pod.getMetadata().getName())) {
                            throw new CaptureException("Pod " + name(pod) + " is not running (phase "
                                    + (pod.getStatus() == null ? "unknown" : pod.getStatus().getPhase())
                                    + (pod.getMetadata().getDeletionTimestamp() == null ? "" : ", being deleted")
                                    + "): its network can only be captured while it runs.");
                        }
                        continue; // a selected pod that is not running yet is picked up by the watch
                    }
                    found.putIfAbsent(pod.getMetadata().getUid(), Map.entry(target, pod));
                }
            }
            return found;
        }

        private PodRecorder startPod(CaptureTarget target, Pod pod) {
            String uid = pod.getMetadata().getUid();
            String ns = pod.getMetadata().getNamespace();
            String podName = pod.getMetadata().getName();
            long deadline = System.nanoTime() + request.startTimeout().toNanos();
            String container = targetContainer(pod, target);
            PodRecorder recorder = new PodRecorder(ns, podName, container, request.mode(), uid, base(ns, podName),
                    request.limits(), request.bufferSize(), executor);
            try {
                Duration remaining = request.limits().maxDuration().minus(Duration.between(started, Instant.now()));
                if (remaining.isNegative() || remaining.isZero()) {
                    throw new CaptureException("The session's time limit of " + request.limits().maxDuration()
                            + " has passed; pod " + ns + "/" + podName + " is not captured.");
                }
                String filter = request.filter();
                String execPod = podName;
                String execContainer = container;
                switch (request.mode()) {
                    case EPHEMERAL -> {
                        execContainer = addEphemeralContainer(pod, container, deadline);
                        captureContainerByUid.put(uid, execContainer);
                    }
                    case NODE -> {
                        String podIp = pod.getStatus().getPodIP();
                        if (podIp == null || podIp.isEmpty()) {
                            throw new CaptureException("Pod " + ns + "/" + podName + " has no IP yet, so node mode "
                                    + "cannot filter its traffic; wait until it runs.");
                        }
                        Pod nodePod = nodePod(pod, deadline);
                        execPod = nodePod.getMetadata().getName();
                        execContainer = "tcpdump";
                        filter = "host " + podIp + (filter.isEmpty() ? "" : " and (" + filter + ")");
                    }
                    default -> {
                    }
                }
                String nodePodNamespace = ns;
                List<String> command = TcpdumpCommand.tcpdump("tcpdump", request.captureInterface(),
                        request.snapLength(), request.bufferSize(), filter);
                ExecProcess process;
                try {
                    process = ExecProcess.start(client, nodePodNamespace, execPod, execContainer, remaining,
                            TcpdumpCommand.spoolFiles(request.limits()), command,
                            millis -> awaitPid(recorder, millis));
                } catch (KubernetesClientException e) {
                    throw new CaptureException(describeApiFailure(e, "exec into " + ns + "/" + execPod, ns), e);
                }
                timeline.record(podName, StartupTimeline.EXEC_STARTED);
                execs.add(process);
                recorder.attach(process);
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
                boolean listening = recorder.stderr().awaitListening(Math.max(left, 2_000));
                if (!listening) {
                    String said = recorder.stderr().text();
                    recorder.stop();
                    throw new CaptureException("tcpdump did not start in pod " + ns + "/" + podName + " (container "
                            + execContainer + (execPod.equals(podName) ? "" : " of " + execPod) + "): "
                            + (said.isEmpty() ? "no output within " + request.startTimeout() : said)
                            + tcpdumpHint(said) + " (" + process.exitDescription() + ")");
                }
                timeline.record(podName, StartupTimeline.LISTENING);
                restarts.put(uid, restartCount(pod, container));
                targetByUid.put(uid, target);
                byUid.put(uid, recorder);
                addRecorder(recorder);
                return recorder;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CaptureException("Interrupted while starting the capture of " + ns + "/" + podName, e);
            } finally {
                starting.remove(uid);
            }
        }

        private String tcpdumpHint(String said) {
            String lower = said.toLowerCase(Locale.ROOT);
            if (lower.contains("not found") || lower.contains("no such file")) {
                return ". The image " + (request.mode() == CaptureMode.EXEC ? "of the target container" : "'"
                        + request.image() + "'") + " needs sh, sleep, kill and tcpdump (for example "
                        + CaptureRequest.DEFAULT_IMAGE + ")";
            }
            if (lower.contains("permission") || lower.contains("not permitted")) {
                return ". tcpdump needs root with CAP_NET_RAW: the namespace's PodSecurity level or the container "
                        + "runtime may drop it (run the preflight)";
            }
            if (lower.contains("syntax error") || lower.contains("unknown") || lower.contains("filter")) {
                return ". Check the BPF filter '" + request.filter() + "' (see man pcap-filter)";
            }
            return "";
        }

        private String awaitPid(PodRecorder recorder, long millis) {
            try {
                return recorder.stderr().awaitPid(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        private Path base(String ns, String podName) {
            String base = safe(ns + "_" + podName);
            String candidate = base;
            for (int i = 2; !usedBases.add(candidate); i++) {
                candidate = base + "-" + i;
            }
            return directory.resolve(candidate);
        }

        /** Adds this session's ephemeral container (one per pod per session) and waits until it runs. */
        private String addEphemeralContainer(Pod pod, String target, long deadline) throws InterruptedException {
            String ns = pod.getMetadata().getNamespace();
            String podName = pod.getMetadata().getName();
            EphemeralContainer container = ephemeralContainer(request, containerName,
                    !"baseline".equals(podSecurityLevel(ns)));
            Pod patch = new PodBuilder().withNewSpec().withEphemeralContainers(container).endSpec().build();
            timeline.record(podName, StartupTimeline.PATCH_SENT);
            try {
                client.pods().inNamespace(ns).withName(podName).ephemeralContainers()
                        .patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                                client.getKubernetesSerialization().asJson(patch));
            } catch (KubernetesClientException e) {
                throw new CaptureException(describeApiFailure(e, "add an ephemeral container to pod " + ns + "/"
                        + podName + " (PATCH pods/ephemeralcontainers)", ns), e);
            }
            timeline.record(podName, StartupTimeline.PATCH_ANSWERED);
            idleContainers.put(ns + "/" + podName, containerName);
            awaitRunning(ns, podName, containerName, true, deadline);
            timeline.record(podName, StartupTimeline.RUNNING_OBSERVED);
            return containerName;
        }

        /** The namespace's enforced PodSecurity level, or "" when none or not readable (no namespaces get). */
        private String podSecurityLevel(String ns) {
            return podSecurityLevels.computeIfAbsent(ns, key -> {
                try {
                    var namespace = client.namespaces().withName(key).get();
                    var labels = namespace == null ? null : namespace.getMetadata().getLabels();
                    return labels == null ? "" : labels.getOrDefault(KubernetesPreflight.ENFORCE_LABEL, "");
                } catch (KubernetesClientException e) {
                    return "";
                }
            });
        }

        /** Polls the pod until the container runs; fails early on reasons the kubelet will not fix itself. */
        private Pod awaitRunning(String ns, String podName, String container, boolean ephemeral, long deadline)
                throws InterruptedException {
            String last = "no status reported yet";
            boolean fresh = false;
            while (true) {
                // The informer's copy when one arrived since the last look; otherwise ask the server.
                long seen = podUpdates.version(ns, podName);
                Pod current = fresh ? podUpdates.latest(ns, podName) : null;
                if (current == null) {
                    current = client.pods().inNamespace(ns).withName(podName).get();
                }
                if (current == null) {
                    throw new CaptureException("Pod " + ns + "/" + podName + " disappeared while its capture "
                            + "container was starting.");
                }
                Optional<ContainerStatus> status = ephemeral ? ephemeralStatus(current, container)
                        : containerStatus(current, container);
                if (status.isPresent() && status.get().getState() != null) {
                    var state = status.get().getState();
                    if (state.getRunning() != null) {
                        return current;
                    }
                    if (state.getTerminated() != null) {
                        var t = state.getTerminated();
                        throw new CaptureException("The capture container in pod " + ns + "/" + podName + " ended "
                                + "right after it started (" + t.getReason() + ", exit code " + t.getExitCode()
                                + (t.getMessage() == null ? "" : ": " + t.getMessage().strip()) + "). The image '"
                                + request.image() + "' needs sh and sleep.");
                    }
                    if (state.getWaiting() != null) {
                        String reason = state.getWaiting().getReason();
                        String message = state.getWaiting().getMessage();
                        last = "kubelet reports " + reason + (message == null ? "" : ": " + message.strip());
                        if (fatalWaiting(reason, message)) {
                            throw new CaptureException(startFailure(ns, podName, last));
                        }
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new CaptureException("The capture container in pod " + ns + "/" + podName
                            + " did not start within the start timeout of " + request.startTimeout() + " ("
                            + last + "; image '" + request.image() + "'). "
                            + (last.contains("Pull") ? imageAdvice() : "Raise the start timeout if the node is slow "
                                    + "to pull the image."));
                }
                if (podUpdates.following(ns)) {
                    long wait = Math.min(UPDATE_FALLBACK_MILLIS, Math.max(1, (deadline - System.nanoTime())
                            / 1_000_000L));
                    fresh = podUpdates.awaitChange(ns, podName, seen, wait);
                } else {
                    Thread.sleep(POLL_MILLIS);
                    fresh = false;
                }
            }
        }

        private String startFailure(String ns, String podName, String last) {
            return "The capture container in pod " + ns + "/" + podName + " cannot start with image '"
                    + request.image() + "' (pull policy " + request.pullPolicy().kubernetesName() + "): " + last + ". "
                    + imageAdvice();
        }

        private String imageAdvice() {
            return "Set an image the nodes can pull that has sh, sleep, kill and tcpdump (air-gapped or "
                    + "private registries: mirror " + CaptureRequest.DEFAULT_IMAGE + " and set it as the capture "
                    + "image; add an imagePullSecret to the pod's service account if the registry needs one).";
        }

        /** One privileged host-network pod per node, shared by every target pod on it. */
        private Pod nodePod(Pod target, long deadline) {
            String node = target.getSpec().getNodeName();
            String ns = target.getMetadata().getNamespace();
            if (node == null || node.isEmpty()) {
                throw new CaptureException("Pod " + name(target) + " is not scheduled to a node yet; node mode needs "
                        + "its node.");
            }
            CompletableFuture<Pod> future = nodePods.computeIfAbsent(ns + "|" + node,
                    key -> CompletableFuture.supplyAsync(() -> createNodePod(ns, node, deadline), executor));
            try {
                return future.join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw cause instanceof CaptureException c ? c : new CaptureException(cause.getMessage(), cause);
            }
        }

        private Pod createNodePod(String ns, String node, long deadline) {
            long lifetime = TcpdumpCommand.seconds(request.limits().maxDuration().plus(CONTAINER_MARGIN));
            String name = ("capture-packets-node-" + id + "-" + Integer.toHexString(node.hashCode() & 0xfffff));
            Pod pod = new PodBuilder()
                    .withNewMetadata().withName(name).withNamespace(ns)
                    .addToLabels(MANAGED_BY_LABEL, MANAGED_BY).addToLabels(SESSION_LABEL, id).endMetadata()
                    .withNewSpec()
                    .withNodeName(node)
                    .withHostNetwork(true)
                    .withRestartPolicy("Never")
                    // The API server ends the pod at the hard limit even if we are gone.
                    .withActiveDeadlineSeconds(lifetime)
                    .withTerminationGracePeriodSeconds(1L)
                    .withAutomountServiceAccountToken(false)
                    .addNewToleration().withOperator("Exists").endToleration()
                    .addNewContainer()
                    .withName("tcpdump")
                    .withImage(request.image())
                    .withImagePullPolicy(request.pullPolicy().kubernetesName())
                    .withCommand("sleep", Long.toString(lifetime))
                    .withNewSecurityContext().withPrivileged(true).withRunAsUser(0L).withRunAsNonRoot(false)
                    .endSecurityContext()
                    .endContainer()
                    .endSpec()
                    .build();
            try {
                client.pods().inNamespace(ns).resource(pod).create();
            } catch (KubernetesClientException e) {
                throw new CaptureException(describeApiFailure(e, "create the node capture pod " + ns + "/" + name
                        + " on node " + node, ns), e);
            }
            try {
                return awaitRunning(ns, name, "tcpdump", false, deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CaptureException("Interrupted while starting the node capture pod " + ns + "/" + name, e);
            }
        }

        /**
         * Follows the targets: new or re-created pods get their own capture, deleted ones are marked. A watch
         * reports changes at once; a poll every second backs it up, because a watch can stay silent (an API
         * server whose etcd lacks progress notifications answers "Too large resource version" and fabric8 keeps
         * retrying; seen on the local harness).
         */
        private void watch() {
            ScheduledFuture<?> poll = poller.scheduleWithFixedDelay(this::poll, FOLLOW_POLL_MILLIS,
                    FOLLOW_POLL_MILLIS, TimeUnit.MILLISECONDS);
            polls.add(poll);
            List<Map.Entry<String, CompletableFuture<Watch>>> starting = new ArrayList<>();
            for (CaptureTarget target : request.targets()) {
                String ns = target.namespace();
                Watcher<Pod> watcher = new PodWatcher(target);
                if (!target.labelSelector().isEmpty()) {
                    starting.add(Map.entry(ns, startWatch(() -> client.pods().inNamespace(ns)
                            .withLabelSelector(target.labelSelector()).watch(watcher))));
                }
                for (String podName : target.pods()) {
                    starting.add(Map.entry(ns, startWatch(() -> client.pods().inNamespace(ns).withName(podName)
                            .watch(watcher))));
                }
            }
            // fabric8's watch() waits without a time limit for the WebSocket upgrade, and a WebSocket the server
            // closes right after the upgrade leaves that wait hanging forever (vert.x "WebSocket is closed"; the
            // likely cause of a CI run that hung for 85 minutes). So the watches start on the session's threads, a
            // refusal (403) still fails the start, and a watch that does not start in time is left to start later:
            // the poll above follows the pods meanwhile.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WATCH_START_MILLIS);
            for (Map.Entry<String, CompletableFuture<Watch>> start : starting) {
                try {
                    start.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // Polled until it starts, if ever.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CaptureException("Interrupted while starting to watch the target pods", e);
                } catch (ExecutionException e) {
                    String ns = start.getKey();
                    if (e.getCause() instanceof KubernetesClientException k) {
                        throw new CaptureException(describeApiFailure(k, "watch pods in namespace " + ns, ns), k);
                    }
                    throw new CaptureException("Cannot watch pods in namespace " + ns + ": "
                            + ClusterConnection.rootMessage(e.getCause()), e.getCause());
                }
            }
        }

        /** Starts a watch on a session thread; a watch that starts after the session stopped is closed at once. */
        private CompletableFuture<Watch> startWatch(Supplier<Watch> start) {
            return CompletableFuture.supplyAsync(() -> {
                Watch watch = start.get();
                watches.add(watch);
                if (stopping) {
                    closeQuietly(watch);
                }
                return watch;
            }, executor);
        }

        private static void closeQuietly(Watch watch) {
            try {
                watch.close();
            } catch (RuntimeException e) {
                // Closing a watch only stops following new pods.
            }
        }

        /** One poll of every target: the same handling as watch events, plus pods gone from the listing. */
        private void poll() {
            if (stopping) {
                return;
            }
            for (CaptureTarget target : request.targets()) {
                PodWatcher handler = new PodWatcher(target);
                String ns = target.namespace();
                try {
                    Set<String> present = new HashSet<>();
                    List<Pod> pods = new ArrayList<>();
                    if (!target.labelSelector().isEmpty()) {
                        pods.addAll(client.pods().inNamespace(ns).withLabelSelector(target.labelSelector()).list()
                                .getItems());
                    }
                    for (String podName : target.pods()) {
                        Pod pod = client.pods().inNamespace(ns).withName(podName).get();
                        if (pod != null) {
                            pods.add(pod);
                        }
                    }
                    for (Pod pod : pods) {
                        present.add(pod.getMetadata().getUid());
                        handler.eventReceived(Watcher.Action.MODIFIED, pod);
                    }
                    for (PodRecorder recorder : recorders()) {
                        if (target.equals(targetByUid.get(recorder.key)) && !present.contains(recorder.key)) {
                            recorder.problem("pod " + ns + "/" + recorder.pod + " was deleted during the capture; "
                                    + "the packets up to then are kept");
                        }
                    }
                } catch (RuntimeException e) {
                    // A failed poll is retried a second later; the captures themselves are not affected.
                }
            }
        }

        private final class PodWatcher implements Watcher<Pod> {
            private final CaptureTarget target;

            PodWatcher(CaptureTarget target) {
                this.target = target;
            }

            @Override
            public void eventReceived(Action action, Pod pod) {
                if (stopping || pod == null || pod.getMetadata() == null) {
                    return;
                }
                String uid = pod.getMetadata().getUid();
                PodRecorder recorder = byUid.get(uid);
                if (action == Action.DELETED || pod.getMetadata().getDeletionTimestamp() != null) {
                    if (recorder != null) {
                        recorder.problem("pod " + name(pod) + " was deleted during the capture; the packets up to "
                                + "then are kept");
                    }
                    return;
                }
                if (recorder != null) {
                    int now = restartCount(pod, recorder.container);
                    Integer before = restarts.get(uid);
                    if (before != null && now > before) {
                        restarts.put(uid, now);
                        recorder.problem("container '" + recorder.container + "' of pod " + name(pod)
                                + " restarted during the capture (restart count " + before + " -> " + now
                                + "); capturing went on in the pod's network namespace");
                    }
                    String capture = captureContainerByUid.get(uid);
                    if (capture != null) {
                        ephemeralStatus(pod, capture).map(ContainerStatus::getState)
                                .filter(s -> s.getTerminated() != null).ifPresent(s -> recorder.problem(
                                        "the capture container in " + name(pod) + " ended during the capture ("
                                                + s.getTerminated().getReason() + ", exit code "
                                                + s.getTerminated().getExitCode() + ")"));
                    }
                    if ("Failed".equals(pod.getStatus().getPhase())
                            || "Succeeded".equals(pod.getStatus().getPhase())) {
                        recorder.problem("pod " + name(pod) + " stopped running during the capture (phase "
                                + pod.getStatus().getPhase() + ")");
                    }
                    return;
                }
                if (capturable(pod) && starting.add(uid)) {
                    executor.execute(() -> startLate(target, pod));
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                // fabric8 reconnects by itself; it only gives up on errors that also end the captures' streams.
            }
        }

        /** A pod that appeared during the session: captured in its own file; a failure is recorded, not thrown. */
        private void startLate(CaptureTarget target, Pod pod) {
            if (stopping || byUid.containsKey(pod.getMetadata().getUid())) {
                starting.remove(pod.getMetadata().getUid());
                return;
            }
            try {
                startPod(target, pod);
            } catch (RuntimeException e) {
                String ns = pod.getMetadata().getNamespace();
                PodRecorder failed = new PodRecorder(ns, pod.getMetadata().getName(), "", request.mode(),
                        pod.getMetadata().getUid(), base(ns, pod.getMetadata().getName()), request.limits(),
                        request.bufferSize(), executor);
                failed.problem("the pod appeared during the session but its capture could not start: "
                        + e.getMessage());
                byUid.put(pod.getMetadata().getUid(), failed);
                addRecorder(failed);
            }
        }

        @Override
        void beforeStop() {
            stopping = true;
            podUpdates.close();
            polls.forEach(p -> p.cancel(false));
            poller.shutdownNow();
            for (Watch watch : watches) {
                closeQuietly(watch);
            }
        }

        @Override
        void release() {
            RuntimeException failure = null;
            for (ExecProcess exec : execs) {
                exec.close();
            }
            // End the idle ephemeral containers (they cannot be removed, but they need not keep running).
            List<CompletableFuture<Void>> ends = new ArrayList<>();
            for (Map.Entry<String, String> idle : idleContainers.entrySet()) {
                String[] nsPod = idle.getKey().split("/", 2);
                ends.add(CompletableFuture.runAsync(() -> endIdle(nsPod[0], nsPod[1], idle.getValue()), executor));
            }
            for (Map.Entry<String, CompletableFuture<Pod>> node : nodePods.entrySet()) {
                String ns = node.getKey().substring(0, node.getKey().indexOf('|'));
                String name = ("capture-packets-node-" + id + "-" + Integer.toHexString(
                        node.getKey().substring(node.getKey().indexOf('|') + 1).hashCode() & 0xfffff));
                try {
                    client.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
                } catch (KubernetesClientException e) {
                    RuntimeException problem = new CaptureException("Deleting the node capture pod " + ns + "/"
                            + name + " failed: " + e.getMessage() + ". Delete it by hand (kubectl delete pod -n " + ns
                            + " " + name + "); it also ends by itself at its activeDeadlineSeconds.", e);
                    if (failure == null) {
                        failure = problem;
                    } else {
                        failure.addSuppressed(problem);
                    }
                }
            }
            for (CompletableFuture<Void> end : ends) {
                end.join();
            }
            if (ownsClient) {
                client.close();
            }
            if (failure != null) {
                throw failure;
            }
        }

        private void endIdle(String ns, String podName, String container) {
            try {
                Pod current = client.pods().inNamespace(ns).withName(podName).get();
                boolean running = current != null && ephemeralStatus(current, container)
                        .map(status -> status.getState() != null && status.getState().getRunning() != null)
                        .orElse(false);
                if (!running) {
                    // Never started (say, its image cannot be pulled): an exec would only wait for its timeout.
                    // Should it start later, its own time limit ends it.
                    return;
                }
            } catch (KubernetesClientException e) {
                return;
            }
            try (var exec = client.pods().inNamespace(ns).withName(podName).inContainer(container)
                    // fabric8 refuses an exec without any stream.
                    .withReadyWaitTimeout(0).writingError(new ByteArrayOutputStream()).exec("touch", DONE_FILE)) {
                exec.exitCode().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // Best effort: the container ends by itself at its time limit.
            }
        }
    }

    /** A Kubernetes API failure in words: what was attempted, the server's answer, and the fix for 401/403/404. */
    static String describeApiFailure(KubernetesClientException e, String attempt, String namespace) {
        int code = e.getCode();
        String status = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : ClusterConnection.rootMessage(e);
        String message = "Cannot " + attempt + ": " + (code > 0 ? "HTTP " + code + ", " : "") + status;
        if (code == 403) {
            return message + ". The identity in the kubeconfig lacks a permission; apply the capture Role in "
                    + "namespace " + namespace + " and bind it (see CaptureEngine.preflight for the exact YAML):\n"
                    + Preflight.roleYaml(namespace);
        }
        if (code == 401) {
            return message + ". The credentials in the kubeconfig were rejected: refresh them.";
        }
        if (code == 404 && attempt.contains("ephemeralcontainers")) {
            return message + ". The server does not serve pods/ephemeralcontainers: ephemeral containers need "
                    + "Kubernetes 1.25 or newer; use exec or node mode on older clusters.";
        }
        if (code == 422 || (status != null && status.contains("PodSecurity"))) {
            return message + ". If a PodSecurity level forbids root or NET_RAW/NET_ADMIN here, run the preflight for "
                    + "the options (node or exec mode, or relaxing the namespace's level).";
        }
        return message;
    }
}
