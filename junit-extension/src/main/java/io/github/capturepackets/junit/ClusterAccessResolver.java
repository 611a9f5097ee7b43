package io.github.capturepackets.junit;

import io.fabric8.kubernetes.api.model.AuthInfoBuilder;
import io.fabric8.kubernetes.api.model.ClusterBuilder;
import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.ContextBuilder;
import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.github.capturepackets.capture.ClusterAccess;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/**
 * Finds how to reach the cluster: the annotation's kubeconfig, then a field of the test class (a
 * {@link CaptureCluster} field, or the only {@code KubernetesClient} / {@code K3sContainer} field), then the
 * configuration keys, then fabric8's own discovery. testcontainers is optional, so a K3s container is recognised
 * by its class name and used through reflection.
 */
final class ClusterAccessResolver {
    static final String K3S_CONTAINER = "org.testcontainers.k3s.K3sContainer";

    private ClusterAccessResolver() {
    }

    /**
     * @param classes   the test class and its enclosing classes, innermost first
     * @param instances test instances (outermost first) for instance fields, or empty for class-level captures
     * @param directory where a kubeconfig made from a client or container is written (readable by the owner only)
     */
    static ClusterAccess resolve(GroupSettings settings, List<Class<?>> classes, List<Object> instances,
            Path directory) {
        if (!settings.kubeconfig().isEmpty()) {
            Path file = Path.of(settings.kubeconfig());
            if (!Files.isReadable(file)) {
                throw new ExtensionConfigurationException("@CapturePackets kubeconfig '" + file.toAbsolutePath()
                        + "' does not exist or cannot be read: point kubeconfig (or " + GroupSettings.KUBECONFIG
                        + ") at a readable kubeconfig file");
            }
            return new ClusterAccess(file, settings.context());
        }
        Optional<Object> fieldValue = clusterField(classes, instances);
        if (fieldValue.isPresent()) {
            return new ClusterAccess(kubeconfigOf(fieldValue.get(), directory), settings.context());
        }
        return new ClusterAccess(null, settings.context());
    }

    private static Optional<Object> clusterField(List<Class<?>> classes, List<Object> instances) {
        List<Candidate> annotated = new ArrayList<>();
        List<Candidate> typed = new ArrayList<>();
        for (Class<?> type : classes) {
            Object instance = instances.stream().filter(type::isInstance).findFirst().orElse(null);
            for (Field field : ReflectionSupport.findFields(type, f -> true, HierarchyTraversalMode.TOP_DOWN)) {
                boolean isStatic = Modifier.isStatic(field.getModifiers());
                if (!isStatic && instance == null) {
                    continue;
                }
                boolean isAnnotated = field.isAnnotationPresent(CaptureCluster.class);
                boolean isClusterType = KubernetesClient.class.isAssignableFrom(field.getType())
                        || isK3s(field.getType());
                if (!isAnnotated && !isClusterType) {
                    continue;
                }
                Object value = ReflectionSupport.tryToReadFieldValue(field, isStatic ? null : instance)
                        .getOrThrow(e -> new ExtensionConfigurationException("Cannot read field " + field, e));
                Candidate candidate = new Candidate(field, value);
                (isAnnotated ? annotated : typed).add(candidate);
            }
        }
        List<Candidate> chosen = annotated.isEmpty() ? typed : annotated;
        if (chosen.size() > 1) {
            throw new ExtensionConfigurationException("@CapturePackets found several cluster fields "
                    + chosen.stream().map(c -> c.field().getName()).toList()
                    + ": annotate the one to capture with @CaptureCluster");
        }
        if (chosen.isEmpty()) {
            return Optional.empty();
        }
        Candidate candidate = chosen.get(0);
        if (candidate.value() == null) {
            throw new ExtensionConfigurationException("@CapturePackets: cluster field '" + candidate.field().getName()
                    + "' is null when the capture starts; initialise it in its declaration or in @BeforeAll");
        }
        return Optional.of(candidate.value());
    }

    private record Candidate(Field field, Object value) {
    }

    private static boolean isK3s(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (c.getName().equals(K3S_CONTAINER)) {
                return true;
            }
        }
        return false;
    }

    /** Containers of other Kubernetes distributions hand out their kubeconfig the same way as K3s. */
    private static boolean hasKubeConfigYaml(Class<?> type) {
        try {
            return type.getMethod("getKubeConfigYaml").getReturnType() == String.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    static Path kubeconfigOf(Object value, Path directory) {
        if (value instanceof Path path) {
            return path;
        }
        if (value instanceof File file) {
            return file.toPath();
        }
        if (value instanceof String text) {
            return Path.of(text);
        }
        try {
            if (value instanceof KubernetesClient client) {
                return write(directory, fromClientConfig(client.getConfiguration()));
            }
            if (isK3s(value.getClass()) || hasKubeConfigYaml(value.getClass())) {
                Method method = value.getClass().getMethod("getKubeConfigYaml");
                String yaml = (String) method.invoke(value);
                return write(directory, KubeConfigUtils.parseConfigFromString(yaml));
            }
        } catch (ReflectiveOperationException | IOException e) {
            throw new ExtensionConfigurationException("@CapturePackets could not get a kubeconfig from the "
                    + value.getClass().getSimpleName() + " field (is the container started?): " + e.getMessage(), e);
        }
        throw new ExtensionConfigurationException("@CaptureCluster field of type " + value.getClass().getName()
                + " is not supported: use a kubeconfig Path/File/String, a fabric8 KubernetesClient, a K3sContainer or "
                + "another object with a getKubeConfigYaml() method");
    }

    private static io.fabric8.kubernetes.api.model.Config fromClientConfig(Config config) {
        ClusterBuilder cluster = new ClusterBuilder().withServer(config.getMasterUrl())
                .withCertificateAuthority(config.getCaCertFile())
                .withCertificateAuthorityData(config.getCaCertData());
        if (config.isTrustCerts()) {
            cluster.withInsecureSkipTlsVerify(true);
        }
        AuthInfoBuilder auth = new AuthInfoBuilder()
                .withClientCertificate(config.getClientCertFile())
                .withClientCertificateData(config.getClientCertData())
                .withClientKey(config.getClientKeyFile())
                .withClientKeyData(config.getClientKeyData())
                .withToken(config.getOauthToken() != null ? config.getOauthToken() : config.getAutoOAuthToken())
                .withUsername(config.getUsername())
                .withPassword(config.getPassword());
        return new ConfigBuilder()
                .addToClusters(new NamedClusterBuilder().withName("capture").withCluster(cluster.build()).build())
                .addToUsers(new NamedAuthInfoBuilder().withName("capture").withUser(auth.build()).build())
                .addToContexts(new NamedContextBuilder().withName("capture").withContext(new ContextBuilder()
                        .withCluster("capture").withUser("capture").withNamespace(config.getNamespace()).build())
                        .build())
                .withCurrentContext("capture")
                .build();
    }

    private static Path write(Path directory, io.fabric8.kubernetes.api.model.Config kubeconfig) throws IOException {
        Files.createDirectories(directory);
        Path file = Files.createTempFile(directory, "kubeconfig-", ".yaml",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        KubeConfigUtils.persistKubeConfigIntoFile(kubeconfig, file.toFile());
        return file;
    }
}
