package io.github.capturepackets.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.capture.CaptureMode;
import io.github.capturepackets.capture.CaptureRequest;
import io.github.capturepackets.capture.PullPolicy;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class GroupSettingsTest {
    private static final Path SESSION_DIR = Path.of("target", "session");

    @CapturePackets
    private static final class Defaults {
    }

    @CapturePackets(namespace = "shop", selector = "app=web", pods = {"web-0"}, container = "app",
            filter = "tcp port 80", captureInterface = "eth0", snapLength = 96, maxDuration = "90s", maxBytes = 1000,
            maxPackets = 10, image = "registry.local/netshoot:1", pullPolicy = CapturePackets.Pull.NEVER,
            mode = CapturePackets.Mode.NODE, retention = CapturePackets.Retention.ALWAYS,
            failOn = {"http.5xx", "tcp.refused"}, startTimeout = "PT2M",
            onStartFailure = CapturePackets.OnStartFailure.ABORT, kubeconfig = "/tmp/kc", context = "kind")
    private static final class Everything {
    }

    @CapturePackets(failOn = "tcp.bogus")
    private static final class UnknownRule {
    }

    @CapturePackets(maxDuration = "soon")
    private static final class BadDuration {
    }

    @CapturePackets(mode = CapturePackets.Mode.EPHEMERAL)
    private static final class EphemeralWithoutTargets {
    }

    private static GroupSettings resolve(Class<?> type, Map<String, String> config) {
        Function<String, Optional<String>> lookup = key -> Optional.ofNullable(config.get(key));
        return GroupSettings.resolve(type.getAnnotation(CapturePackets.class), lookup, "test", SESSION_DIR);
    }

    @Test
    @DisplayName("Without targets or configuration, a newcomer gets a local capture of loopback, ON_FAILURE retention and FAIL on start failure")
    void builtInDefaults() {
        GroupSettings settings = resolve(Defaults.class, Map.of());

        CaptureRequest request = settings.request();
        assertThat(request.mode()).isEqualTo(CaptureMode.LOCAL);
        assertThat(request.captureInterface()).isEqualTo("lo");
        assertThat(request.targets()).isEmpty();
        // The documented built-in values (docs/junit-extension.md), written out: not read from the constants.
        assertThat(request.image()).isEqualTo("docker.io/nicolaka/netshoot:v0.13");
        assertThat(request.limits().maxDuration()).isEqualTo(Duration.ofMinutes(30));
        assertThat(request.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(request.outputDirectory()).isEqualTo(SESSION_DIR);
        assertThat(settings.retention()).isEqualTo(CapturePackets.Retention.ON_FAILURE);
        assertThat(settings.onStartFailure()).isEqualTo(CapturePackets.OnStartFailure.FAIL);
        assertThat(settings.failOn()).isEmpty();
        assertThat(settings.stdoutAttachments()).isTrue();
    }

    @Test
    @DisplayName("Every annotation attribute reaches the capture request or the extension's settings")
    void everyAttribute() {
        GroupSettings settings = resolve(Everything.class, Map.of());

        CaptureRequest request = settings.request();
        assertThat(request.mode()).isEqualTo(CaptureMode.NODE);
        assertThat(request.targets()).singleElement().satisfies(t -> {
            assertThat(t.namespace()).isEqualTo("shop");
            assertThat(t.labelSelector()).isEqualTo("app=web");
            assertThat(t.pods()).containsExactly("web-0");
            assertThat(t.container()).isEqualTo("app");
        });
        assertThat(request.filter()).isEqualTo("tcp port 80");
        assertThat(request.captureInterface()).isEqualTo("eth0");
        assertThat(request.snapLength()).isEqualTo(96);
        assertThat(request.limits().maxDuration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(request.limits().maxBytesPerPod()).isEqualTo(1000);
        assertThat(request.limits().maxPacketsPerPod()).isEqualTo(10);
        assertThat(request.image()).isEqualTo("registry.local/netshoot:1");
        assertThat(request.pullPolicy()).isEqualTo(PullPolicy.NEVER);
        assertThat(request.startTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.retention()).isEqualTo(CapturePackets.Retention.ALWAYS);
        assertThat(settings.failOn()).containsExactlyInAnyOrder(Rule.HTTP_SERVER_ERROR, Rule.TCP_REFUSED);
        assertThat(settings.onStartFailure()).isEqualTo(CapturePackets.OnStartFailure.ABORT);
        assertThat(settings.kubeconfig()).isEqualTo("/tmp/kc");
        assertThat(settings.context()).isEqualTo("kind");
    }

    @Test
    @DisplayName("Attributes left at DEFAULT take the capturepackets.* configuration parameter")
    void configurationParameters() {
        Map<String, String> config = Map.ofEntries(Map.entry("capturepackets.namespace", "shop"),
                Map.entry("capturepackets.selector", "app=api"), Map.entry("capturepackets.pods", "a, b"),
                Map.entry("capturepackets.container", "c"), Map.entry("capturepackets.filter", "port 53"),
                Map.entry("capturepackets.interface", "eth1"), Map.entry("capturepackets.snapLength", "128"),
                Map.entry("capturepackets.maxDuration", "5m"), Map.entry("capturepackets.maxBytes", "77"),
                Map.entry("capturepackets.maxPackets", "88"), Map.entry("capturepackets.image", "img:2"),
                Map.entry("capturepackets.pullPolicy", "always"), Map.entry("capturepackets.mode", "exec"),
                Map.entry("capturepackets.retention", "never"), Map.entry("capturepackets.failOn", "dns.nxdomain"),
                Map.entry("capturepackets.startTimeout", "45s"),
                Map.entry("capturepackets.onStartFailure", "abort"), Map.entry("capturepackets.kubeconfig", "/k"),
                Map.entry("capturepackets.context", "ctx"), Map.entry("capturepackets.networkNamespace", "ns1"),
                Map.entry("capturepackets.stdoutAttachments", "false"));
        GroupSettings settings = resolve(Defaults.class, config);

        CaptureRequest request = settings.request();
        assertThat(request.mode()).isEqualTo(CaptureMode.EXEC);
        assertThat(request.targets()).singleElement().satisfies(t -> {
            assertThat(t.namespace()).isEqualTo("shop");
            assertThat(t.labelSelector()).isEqualTo("app=api");
            assertThat(t.pods()).containsExactly("a", "b");
            assertThat(t.container()).isEqualTo("c");
        });
        assertThat(request.filter()).isEqualTo("port 53");
        assertThat(request.captureInterface()).isEqualTo("eth1");
        assertThat(request.snapLength()).isEqualTo(128);
        assertThat(request.limits().maxDuration()).isEqualTo(Duration.ofMinutes(5));
        assertThat(request.limits().maxBytesPerPod()).isEqualTo(77);
        assertThat(request.limits().maxPacketsPerPod()).isEqualTo(88);
        assertThat(request.image()).isEqualTo("img:2");
        assertThat(request.pullPolicy()).isEqualTo(PullPolicy.ALWAYS);
        assertThat(request.startTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(request.networkNamespace()).isEqualTo("ns1");
        assertThat(settings.retention()).isEqualTo(CapturePackets.Retention.NEVER);
        assertThat(settings.failOn()).containsExactly(Rule.DNS_NXDOMAIN);
        assertThat(settings.onStartFailure()).isEqualTo(CapturePackets.OnStartFailure.ABORT);
        assertThat(settings.kubeconfig()).isEqualTo("/k");
        assertThat(settings.context()).isEqualTo("ctx");
        assertThat(settings.stdoutAttachments()).isFalse();
    }

    @Test
    @DisplayName("[[ATTACHMENT|...]] lines are off under JUnit's parallel execution unless capturepackets.stdoutAttachments=true")
    void stdoutAttachmentsFollowParallelExecution() {
        assertThat(resolve(Defaults.class, Map.of("junit.jupiter.execution.parallel.enabled", "true"))
                .stdoutAttachments()).isFalse();
        assertThat(resolve(Defaults.class, Map.of("junit.jupiter.execution.parallel.enabled", "true",
                "capturepackets.stdoutAttachments", "true")).stdoutAttachments()).isTrue();
        assertThat(resolve(Defaults.class, Map.of("capturepackets.stdoutAttachments", "auto")).stdoutAttachments())
                .isTrue();
    }

    @Test
    @DisplayName("An annotation value wins over the configuration parameter")
    void annotationWins() {
        GroupSettings settings = resolve(Everything.class, Map.of("capturepackets.namespace", "other",
                "capturepackets.retention", "NEVER", "capturepackets.failOn", "dns.nxdomain"));

        assertThat(settings.request().targets().get(0).namespace()).isEqualTo("shop");
        assertThat(settings.retention()).isEqualTo(CapturePackets.Retention.ALWAYS);
        assertThat(settings.failOn()).doesNotContain(Rule.DNS_NXDOMAIN);
    }

    @Test
    @DisplayName("Misconfiguration fails with ExtensionConfigurationException naming the setting and the fix")
    void misconfiguration() {
        assertThatThrownBy(() -> resolve(UnknownRule.class, Map.of()))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("capturepackets.failOn").hasMessageContaining("tcp.bogus")
                .hasMessageContaining("http.5xx");
        assertThatThrownBy(() -> resolve(BadDuration.class, Map.of()))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("capturepackets.maxDuration").hasMessageContaining("30s");
        assertThatThrownBy(() -> resolve(EphemeralWithoutTargets.class, Map.of()))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("no target pods");
        assertThatThrownBy(() -> resolve(Defaults.class, Map.of("capturepackets.mode", "sideways")))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("capturepackets.mode").hasMessageContaining("EPHEMERAL");
        assertThatThrownBy(() -> resolve(Defaults.class, Map.of("capturepackets.maxBytes", "lots")))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("capturepackets.maxBytes");
    }

    @Test
    @DisplayName("Every annotation attribute has a configuration key of the same name, and every key is documented")
    void keysMatchAttributesAndDocs() throws Exception {
        for (Method attribute : CapturePackets.class.getDeclaredMethods()) {
            String key = "capturepackets." + (attribute.getName().equals("captureInterface") ? "interface"
                    : attribute.getName());
            assertThat(GroupSettings.ALL_KEYS).as("key for attribute %s", attribute.getName()).contains(key);
        }
        String docs = java.nio.file.Files.readString(Path.of("..", "docs", "junit-extension.md"));
        for (String key : GroupSettings.ALL_KEYS) {
            assertThat(docs).as("docs/junit-extension.md documents %s", key).contains("`" + key + "`");
        }
        for (String key : Outcome.REPORT_KEYS) {
            assertThat(docs).as("docs/junit-extension.md documents report key %s", key).contains("`" + key + "`");
        }
    }
}
