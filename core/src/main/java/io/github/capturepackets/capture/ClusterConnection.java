package io.github.capturepackets.capture;

import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Turns a {@link ClusterAccess} into a client that has answered once, or a clear error before anything starts. */
final class ClusterConnection {
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private ClusterConnection() {
    }

    static KubernetesClient connect(ClusterAccess access) {
        Config config;
        String source;
        String context = access.context().isEmpty() ? null : access.context();
        if (access.kubeconfig() != null) {
            Path path = access.kubeconfig();
            source = "kubeconfig " + path;
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw new CaptureException("The kubeconfig " + path + " does not exist or is not readable: point "
                        + "the cluster access at an existing kubeconfig file, or leave it empty to use KUBECONFIG, "
                        + "~/.kube/config or the in-cluster service account.");
            }
            String yaml;
            io.fabric8.kubernetes.api.model.Config parsed;
            try {
                yaml = Files.readString(path, StandardCharsets.UTF_8);
                parsed = KubeConfigUtils.parseConfigFromString(yaml);
            } catch (IOException | RuntimeException e) {
                throw new CaptureException("The kubeconfig " + path + " cannot be read as a kubeconfig: "
                        + e.getMessage() + ". Check the file (kubectl --kubeconfig " + path + " config view).", e);
            }
            List<String> contexts = parsed == null || parsed.getContexts() == null ? List.of()
                    : parsed.getContexts().stream().map(NamedContext::getName).toList();
            if (context != null && !contexts.contains(context)) {
                throw new CaptureException("The kubeconfig " + path + " has no context '" + context
                        + "'; its contexts are " + contexts + ". Set one of them, or leave the context empty for "
                        + "the current context.");
            }
            if (context == null && (parsed.getCurrentContext() == null || parsed.getCurrentContext().isEmpty())
                    && contexts.size() != 1) {
                throw new CaptureException("The kubeconfig " + path + " has no current context and " + contexts.size()
                        + " contexts " + contexts + ": name the context to use.");
            }
            config = Config.fromKubeconfig(context, yaml, path.toString());
        } else {
            source = "the default kubeconfig (KUBECONFIG, ~/.kube/config or the in-cluster service account)";
            config = Config.autoConfigure(context);
            if (context != null && !context.equals(config.getCurrentContext() == null ? null
                    : config.getCurrentContext().getName())) {
                throw new CaptureException("The context '" + context + "' is not in " + source
                        + ": set an existing context or a kubeconfig file.");
            }
        }
        config.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS);
        config.setRequestTimeout(CONNECT_TIMEOUT_MILLIS);
        // Fail fast when the server is down instead of retrying for a minute before the test even starts.
        config.setRequestRetryBackoffLimit(0);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        try {
            client.getKubernetesVersion();
        } catch (RuntimeException e) {
            client.close();
            throw new CaptureException("Cannot reach the Kubernetes API server at " + config.getMasterUrl()
                    + " (from " + source + (context == null ? "" : ", context " + context) + "): "
                    + rootMessage(e) + ". Check that the cluster is running and that the kubeconfig and context "
                    + "are the right ones (kubectl" + (access.kubeconfig() == null ? "" : " --kubeconfig "
                    + access.kubeconfig()) + (context == null ? "" : " --context " + context) + " version).", e);
        }
        return client;
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == e ? message : e.getMessage() + " (" + message + ")";
    }
}
