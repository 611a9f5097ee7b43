package io.github.capturepackets.capture;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The checks behind {@link CaptureEngine#preflight}: permissions, server version, PodSecurity, runAsNonRoot. */
final class KubernetesPreflight {
    static final String ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";
    private static final Pattern MINOR = Pattern.compile("(\\d+)");

    private KubernetesPreflight() {
    }

    /** A permission the mode needs: verb on resource[/subresource]. */
    record Permission(String verb, String resource, String subresource) {
        String text() {
            return verb + " " + resource + (subresource.isEmpty() ? "" : "/" + subresource);
        }
    }

    static List<Permission> permissions(CaptureMode mode) {
        List<Permission> needed = new ArrayList<>(List.of(new Permission("get", "pods", ""),
                new Permission("list", "pods", ""), new Permission("watch", "pods", "")));
        if (mode == CaptureMode.EPHEMERAL) {
            needed.add(new Permission("patch", "pods", "ephemeralcontainers"));
        }
        if (mode == CaptureMode.NODE) {
            needed.add(new Permission("create", "pods", ""));
            needed.add(new Permission("delete", "pods", ""));
        }
        // The exec stream is a WebSocket upgrade (a GET) or a SPDY POST depending on client and server.
        needed.add(new Permission("create", "pods", "exec"));
        needed.add(new Permission("get", "pods", "exec"));
        return needed;
    }

    static Preflight run(CaptureRequest request, KubernetesClient client) {
        List<Preflight.Check> checks = new ArrayList<>();
        if (request.mode() == CaptureMode.EPHEMERAL) {
            checks.add(serverVersion(client));
        }
        Set<String> namespaces = new LinkedHashSet<>();
        request.targets().forEach(t -> namespaces.add(t.namespace()));
        for (String ns : namespaces) {
            checks.addAll(permissions(client, ns, request.mode()));
            String level = podSecurityLevel(client, ns, checks);
            checks.add(podSecurity(ns, level, request.mode()));
            for (CaptureTarget target : request.targets()) {
                if (target.namespace().equals(ns)) {
                    checks.addAll(pods(client, target, level, request.mode()));
                }
            }
        }
        return new Preflight(checks, message(request, checks));
    }

    private static Preflight.Check serverVersion(KubernetesClient client) {
        try {
            VersionInfo version = client.getKubernetesVersion();
            Matcher minor = MINOR.matcher(version.getMinor() == null ? "" : version.getMinor());
            int major = Integer.parseInt(version.getMajor().replaceAll("\\D", ""));
            int minorNumber = minor.find() ? Integer.parseInt(minor.group(1)) : 0;
            String text = version.getGitVersion() == null ? major + "." + minorNumber : version.getGitVersion();
            if (major == 1 && minorNumber < 25) {
                return new Preflight.Check("server", "ephemeral containers (Kubernetes 1.25+)", Preflight.Status.FAIL,
                        "the API server is " + text + "; ephemeral containers are stable from 1.25 on",
                        "upgrade the cluster, or use exec mode (a container with tcpdump, such as a sidecar) or "
                                + "node mode (a privileged host-network pod)");
            }
            return new Preflight.Check("server", "ephemeral containers (Kubernetes 1.25+)", Preflight.Status.OK,
                    "the API server is " + text, "");
        } catch (RuntimeException e) {
            return new Preflight.Check("server", "ephemeral containers (Kubernetes 1.25+)", Preflight.Status.WARN,
                    "the server version could not be read: " + ClusterConnection.rootMessage(e), "");
        }
    }

    private static List<Preflight.Check> permissions(KubernetesClient client, String ns, CaptureMode mode) {
        List<Permission> needed = permissions(mode);
        List<CompletableFuture<Preflight.Check>> reviews = new ArrayList<>();
        for (Permission permission : needed) {
            reviews.add(CompletableFuture.supplyAsync(() -> review(client, ns, permission, mode)));
        }
        return reviews.stream().map(CompletableFuture::join).toList();
    }

    private static Preflight.Check review(KubernetesClient client, String ns, Permission permission,
            CaptureMode mode) {
        SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder().withNewSpec()
                .withNewResourceAttributes().withNamespace(ns).withVerb(permission.verb()).withResource("pods")
                .withSubresource(permission.subresource().isEmpty() ? null : permission.subresource())
                .endResourceAttributes().endSpec().build();
        String subject = "namespace " + ns;
        try {
            SelfSubjectAccessReview answer = client.authorization().v1().selfSubjectAccessReview().create(review);
            boolean allowed = answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
            if (allowed) {
                return new Preflight.Check(subject, permission.text(), Preflight.Status.OK, "allowed", "");
            }
            String reason = answer.getStatus() == null || answer.getStatus().getReason() == null
                    || answer.getStatus().getReason().isEmpty() ? "" : " (" + answer.getStatus().getReason() + ")";
            return new Preflight.Check(subject, permission.text(), Preflight.Status.FAIL,
                    "the identity in the kubeconfig may not " + permission.text() + " in namespace " + ns + reason,
                    "apply the capture Role and bind it to that identity:\n" + Preflight.roleYaml(ns, mode));
        } catch (KubernetesClientException e) {
            return new Preflight.Check(subject, permission.text(), Preflight.Status.WARN,
                    "could not ask the server (SelfSubjectAccessReview): " + ClusterConnection.rootMessage(e), "");
        }
    }

    /** The namespace's enforced PodSecurity level, "" when none or unreadable (a check records which). */
    private static String podSecurityLevel(KubernetesClient client, String ns, List<Preflight.Check> checks) {
        try {
            Namespace namespace = client.namespaces().withName(ns).get();
            if (namespace == null) {
                checks.add(new Preflight.Check("namespace " + ns, "namespace exists", Preflight.Status.FAIL,
                        "namespace " + ns + " does not exist", "check the namespace of the target pods"));
                return "";
            }
            Map<String, String> labels = namespace.getMetadata().getLabels();
            return labels == null ? "" : labels.getOrDefault(ENFORCE_LABEL, "");
        } catch (KubernetesClientException e) {
            checks.add(new Preflight.Check("namespace " + ns, "read the PodSecurity level", Preflight.Status.WARN,
                    "the namespace's labels could not be read (" + (e.getCode() == 403 ? "no permission to get "
                            + "namespaces" : ClusterConnection.rootMessage(e)) + "), so its PodSecurity level is "
                            + "unknown; a 'baseline' or 'restricted' level would reject the capture container",
                    "if the capture container is rejected, see kubectl get ns " + ns + " --show-labels"));
            return null;
        }
    }

    private static Preflight.Check podSecurity(String ns, String level, CaptureMode mode) {
        String subject = "namespace " + ns;
        String name = "PodSecurity allows " + (mode == CaptureMode.NODE ? "a privileged host-network pod"
                : "a root container with NET_RAW and NET_ADMIN");
        if (level == null) {
            return new Preflight.Check(subject, name, Preflight.Status.WARN, "level unknown", "");
        }
        if (mode == CaptureMode.EXEC || level.isEmpty() || level.equals("privileged")) {
            return new Preflight.Check(subject, name, Preflight.Status.OK, level.isEmpty() ? "no enforce label"
                    : "enforce=" + level, "");
        }
        if (mode == CaptureMode.EPHEMERAL && level.equals("baseline")) {
            return new Preflight.Check(subject, name, Preflight.Status.WARN, "namespace " + ns + " enforces "
                    + "PodSecurity 'baseline', which forbids adding NET_RAW and NET_ADMIN; the capture container "
                    + "therefore adds no capabilities and relies on the container runtime's default set, which "
                    + "has NET_RAW on containerd but not on CRI-O (there tcpdump fails with 'Operation not "
                    + "permitted')", "if it does, label the namespace " + ENFORCE_LABEL + "=privileged, or use "
                    + "exec mode with a sidecar that has tcpdump");
        }
        String relax = "relax the namespace (if its owners agree):\n"
                + "kubectl label namespace " + ns + " " + ENFORCE_LABEL + "=privileged --overwrite\n"
                + "or in the Namespace manifest:\nmetadata:\n  labels:\n    " + ENFORCE_LABEL + ": privileged";
        String why = level.equals("restricted")
                ? "'restricted', which forbids running as root and adding any capability but NET_BIND_SERVICE"
                : "'" + level + "', which forbids adding NET_RAW and NET_ADMIN"
                        + (mode == CaptureMode.NODE ? ", privileged containers and host networking" : "");
        String alternatives = mode == CaptureMode.NODE
                ? "or capture in exec mode from a container that already has tcpdump"
                : "or use exec mode with a sidecar that already has tcpdump and NET_RAW (allowed by the level's "
                        + "exemptions or the runtime's default capabilities), or node mode from a namespace that "
                        + "allows privileged pods";
        return new Preflight.Check(subject, name, Preflight.Status.FAIL, "namespace " + ns + " enforces PodSecurity "
                + why + ", so the capture container would be rejected", relax + "\n" + alternatives);
    }

    /** The value of a finished future, with its own exception rethrown as such. */
    static <T> T joined(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static List<Preflight.Check> pods(KubernetesClient client, CaptureTarget target, String level,
            CaptureMode mode) {
        List<Preflight.Check> checks = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        String ns = target.namespace();
        try {
            // In parallel: twenty named pods cost one round trip, not twenty.
            List<CompletableFuture<Pod>> gets = target.pods().stream().map(name -> CompletableFuture
                    .supplyAsync(() -> client.pods().inNamespace(ns).withName(name).get())).toList();
            for (int i = 0; i < gets.size(); i++) {
                String name = target.pods().get(i);
                Pod pod = joined(gets.get(i));
                if (pod == null) {
                    checks.add(new Preflight.Check("pod " + ns + "/" + name, "pod exists", Preflight.Status.FAIL,
                            "pod " + ns + "/" + name + " does not exist", "check the pod name (kubectl get pods -n "
                                    + ns + ")"));
                } else {
                    pods.add(pod);
                }
            }
            if (!target.labelSelector().isEmpty()) {
                List<Pod> selected = client.pods().inNamespace(ns).withLabelSelector(target.labelSelector()).list()
                        .getItems();
                if (selected.isEmpty()) {
                    checks.add(new Preflight.Check("namespace " + ns, "pods match " + target.labelSelector(),
                            Preflight.Status.FAIL, "no pod in " + ns + " matches '" + target.labelSelector() + "'",
                            "check the selector (kubectl get pods -n " + ns + " -l '" + target.labelSelector()
                                    + "')"));
                }
                pods.addAll(selected);
            }
        } catch (KubernetesClientException e) {
            checks.add(new Preflight.Check("namespace " + ns, "read the target pods", Preflight.Status.FAIL,
                    "the pods could not be read: " + ClusterConnection.rootMessage(e),
                    "grant get/list/watch on pods:\n" + Preflight.roleYaml(ns, mode)));
            return checks;
        }
        for (Pod pod : pods) {
            String subject = "pod " + KubernetesCapture.name(pod);
            PodSecurityContext context = pod.getSpec().getSecurityContext();
            boolean nonRoot = context != null && Boolean.TRUE.equals(context.getRunAsNonRoot());
            if (mode == CaptureMode.EPHEMERAL && nonRoot) {
                if ("restricted".equals(level)) {
                    checks.add(new Preflight.Check(subject, "root capture container next to runAsNonRoot",
                            Preflight.Status.FAIL, "the pod sets runAsNonRoot: true and namespace " + ns
                                    + " enforces 'restricted', so a root capture container cannot be added",
                            "use exec mode with a sidecar that has tcpdump, or node mode from another namespace"));
                } else {
                    checks.add(new Preflight.Check(subject, "root capture container next to runAsNonRoot",
                            Preflight.Status.WARN, "the pod sets runAsNonRoot: true at pod level; the capture "
                                    + "container overrides it for itself only (runAsNonRoot: false, runAsUser: 0), "
                                    + "which Kubernetes allows unless an admission policy forbids it", ""));
                }
            }
            if (!KubernetesCapture.capturable(pod)) {
                checks.add(new Preflight.Check(subject, "pod is running", Preflight.Status.WARN,
                        "phase " + (pod.getStatus() == null ? "unknown" : pod.getStatus().getPhase())
                                + "; it is captured once it runs", ""));
            }
        }
        return checks;
    }

    private static String message(CaptureRequest request, List<Preflight.Check> checks) {
        List<Preflight.Check> failed = checks.stream().filter(c -> c.status() == Preflight.Status.FAIL).toList();
        List<Preflight.Check> warned = checks.stream().filter(c -> c.status() == Preflight.Status.WARN).toList();
        if (failed.isEmpty() && warned.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        text.append(failed.isEmpty() ? "Capture '" + request.name() + "' can start; note:"
                : "Capture '" + request.name() + "' (" + request.mode().name().toLowerCase(Locale.ROOT) + " mode) cannot start: "
                        + failed.size() + " problem" + (failed.size() == 1 ? "" : "s") + ":");
        Set<String> fixesShown = new LinkedHashSet<>();
        for (Preflight.Check check : failed) {
            text.append("\n- ").append(check.subject()).append(": ").append(check.name()).append(": ")
                    .append(check.detail()).append('.');
            if (!check.fix().isEmpty()) {
                // One Role covers all missing verbs: show it once.
                if (fixesShown.add(check.fix())) {
                    text.append(" Fix: ").append(check.fix());
                } else {
                    text.append(" Fix: the same Role as above.");
                }
            }
        }
        for (Preflight.Check check : warned) {
            text.append("\n- (warning) ").append(check.subject()).append(": ").append(check.detail()).append('.');
            if (!check.fix().isEmpty()) {
                text.append(' ').append(check.fix());
            }
        }
        return text.toString();
    }
}
