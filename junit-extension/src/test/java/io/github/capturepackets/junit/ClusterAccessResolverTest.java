package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.github.capturepackets.capture.ClusterAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.k3s.K3sContainer;

class ClusterAccessResolverTest {
    private static final KubernetesClient CLIENT = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
            .withMasterUrl("https://10.0.0.1:6443").withOauthToken("t0ken").withNamespace("shop").build()).build();

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        CLIENT.close();
    }

    @CapturePackets(namespace = "shop", selector = "app=web")
    static class ClientField {
        static KubernetesClient client = CLIENT;
    }

    /** A container of another distribution: anything with getKubeConfigYaml() works like a K3sContainer. */
    public static class KubeContainer {
        public String getKubeConfigYaml() {
            return """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: default
                      cluster:
                        server: https://127.0.0.1:32768
                    users:
                    - name: default
                      user:
                        token: k3s-token
                    contexts:
                    - name: default
                      context:
                        cluster: default
                        user: default
                    current-context: default
                    """;
        }
    }

    @CapturePackets(namespace = "shop", selector = "app=web")
    static class ContainerField {
        @CaptureCluster
        static KubeContainer cluster = new KubeContainer();
    }

    @CapturePackets(namespace = "shop", selector = "app=web")
    static class K3sField {
        static K3sContainer k3s;
    }

    @CapturePackets(namespace = "shop", selector = "app=web")
    static class TwoClients {
        static KubernetesClient one = CLIENT;
        static KubernetesClient two = CLIENT;
    }

    @CapturePackets(namespace = "shop", selector = "app=web")
    static class ChosenField {
        static KubernetesClient one = CLIENT;
        @CaptureCluster
        static Path kubeconfig = Path.of("/etc/chosen.kubeconfig");
    }

    @CapturePackets(namespace = "shop", selector = "app=web")
    static class NullField {
        static KubernetesClient client;
    }

    @CapturePackets(namespace = "shop", selector = "app=web", kubeconfig = "/nonexistent/kubeconfig")
    static class MissingKubeconfig {
    }

    @CapturePackets(namespace = "shop", selector = "app=web", context = "kind")
    static class NoField {
    }

    private ClusterAccess resolve(Class<?> type) {
        GroupSettings settings = GroupSettings.resolve(type.getAnnotation(CapturePackets.class),
                key -> Optional.empty(), "t", dir);
        return ClusterAccessResolver.resolve(settings, List.of(type), List.of(), dir);
    }

    @Test
    @DisplayName("A KubernetesClient field becomes an owner-only kubeconfig with its server, token and namespace")
    void clientField() throws Exception {
        ClusterAccess access = resolve(ClientField.class);

        assertThat(access.kubeconfig()).startsWith(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(access.kubeconfig())))
                .isEqualTo("rw-------");
        var config = KubeConfigUtils.parseConfig(access.kubeconfig().toFile());
        assertThat(config.getClusters().get(0).getCluster().getServer()).startsWith("https://10.0.0.1:6443");
        assertThat(config.getUsers().get(0).getUser().getToken()).isEqualTo("t0ken");
        assertThat(config.getContexts().get(0).getContext().getNamespace()).isEqualTo("shop");
    }

    @Test
    @DisplayName("A container field with getKubeConfigYaml() (as K3sContainer has) gives its kubeconfig")
    void containerField() throws Exception {
        ClusterAccess access = resolve(ContainerField.class);

        assertThat(Files.readString(access.kubeconfig())).contains("https://127.0.0.1:32768", "k3s-token");
    }

    @Test
    @DisplayName("A K3sContainer field is found without any annotation of its own (a started K3s needs Docker)")
    void k3sFieldFoundByType() {
        // Constructing a K3sContainer needs Docker; an unset field shows that the field is found by its type.
        assertThatThrownBy(() -> resolve(K3sField.class)).isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("'k3s' is null");
    }

    @Test
    @DisplayName("@CaptureCluster picks one field among several candidates")
    void chosenField() {
        assertThat(resolve(ChosenField.class).kubeconfig()).isEqualTo(Path.of("/etc/chosen.kubeconfig"));
    }

    @Test
    @DisplayName("Two candidate fields without @CaptureCluster fail with a message naming them and the fix")
    void ambiguous() {
        assertThatThrownBy(() -> resolve(TwoClients.class)).isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("[one, two]").hasMessageContaining("@CaptureCluster");
    }

    @Test
    @DisplayName("A null cluster field fails with a message saying when to initialise it")
    void nullField() {
        assertThatThrownBy(() -> resolve(NullField.class)).isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("'client' is null").hasMessageContaining("@BeforeAll");
    }

    @Test
    @DisplayName("A kubeconfig attribute pointing nowhere fails with the path and the setting")
    void missingKubeconfig() {
        assertThatThrownBy(() -> resolve(MissingKubeconfig.class))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("/nonexistent/kubeconfig").hasMessageContaining("capturepackets.kubeconfig");
    }

    @Test
    @DisplayName("Without fields or settings, fabric8's own discovery is used, with the configured context")
    void defaults() {
        assertThat(resolve(NoField.class)).isEqualTo(new ClusterAccess(null, "kind"));
    }
}
