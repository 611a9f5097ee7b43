package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.github.capturepackets.e2e.E2ePods;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestClusterExtension;
import io.github.capturepackets.e2e.TestNamespace;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our process dies (kill -9) while capturing: the time limit inside the capture container ends tcpdump, and the
 * idle container ends at its own limit. The capture runs in a forked JVM so this test survives the kill.
 */
@ExtendWith(TestClusterExtension.class)
@DisplayName("A capture whose client was killed")
class KilledClientIT {
    static final int MAX_DURATION_SECONDS = 20;

    @Test
    @DisplayName("ends on its own: tcpdump at the time limit, the idle capture container 60 s later")
    void inContainerTimeLimitEndsTcpdump(TestCluster cluster, TestNamespace namespace, @TempDir Path output)
            throws Exception {
        EphemeralEngineIT.createPod(cluster, namespace, "orphan", Map.of("app", "orphan"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path")));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("capturepackets."))
                .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
        command.addAll(List.of(ForkedCapture.class.getName(), namespace.name(), "orphan", output.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String container;
        Instant started;
        try {
            container = awaitStarted(child, Duration.ofSeconds(120));
            // Without this, "ended" below would also hold for a tcpdump that never ran.
            assertThat(tcpdumpRunning(cluster, namespace, container))
                    .as("tcpdump runs in %s while its client is alive", container).isTrue();
            started = Instant.now();
        } finally {
            child.toHandle().destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(child.isAlive()).as("the client JVM was killed").isFalse();
        // Whether the runtime ends an exec whose client vanished (or tcpdump dies of SIGPIPE on its next packet)
        // varies, so this is only reported; what must hold is that tcpdump, seen running above, ends within the
        // limits.
        System.out.println("KilledClientIT: tcpdump still running right after kill -9 of the client: "
                + tcpdumpRunning(cluster, namespace, container));

        long deadline = System.nanoTime() + Duration.ofSeconds(MAX_DURATION_SECONDS + 30).toNanos();
        while (tcpdumpRunning(cluster, namespace, container) && System.nanoTime() < deadline) {
            Thread.sleep(1_000);
        }
        Duration ended = Duration.between(started, Instant.now());
        assertThat(tcpdumpRunning(cluster, namespace, container)).as("tcpdump ended without its client").isFalse();
        assertThat(ended).isLessThan(Duration.ofSeconds(MAX_DURATION_SECONDS + 30));
        System.out.println("KilledClientIT: tcpdump gone " + ended.toSeconds() + " s after the kill (limit "
                + MAX_DURATION_SECONDS + " s)");

        long containerDeadline = System.nanoTime() + Duration.ofSeconds(MAX_DURATION_SECONDS + 120).toNanos();
        Optional<ContainerStatus> terminated = Optional.empty();
        while (terminated.isEmpty() && System.nanoTime() < containerDeadline) {
            terminated = KubernetesCapture.ephemeralStatus(cluster.client().pods().inNamespace(namespace.name())
                    .withName("orphan").get(), container).filter(s -> s.getState().getTerminated() != null);
            Thread.sleep(2_000);
        }
        assertThat(terminated).as("the idle capture container ends at its own limit").isPresent();
    }

    private static String awaitStarted(Process child, Duration timeout) throws Exception {
        BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        CompletableFuture<String> started = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    seen.add(line);
                    if (line.startsWith("STARTED ")) {
                        return line.substring("STARTED ".length()).strip();
                    }
                }
                return null;
            } catch (java.io.IOException e) {
                return null;
            }
        });
        String container = started.get(timeout.toSeconds(), TimeUnit.SECONDS);
        if (container == null) {
            throw new AssertionError("the forked capture did not start: " + String.join("\n", seen));
        }
        return container;
    }

    /**
     * Whether tcpdump runs in the capture container. The engine adds it without {@code targetContainerName} (see
     * KubernetesCapture.ephemeralContainer), so it has a process namespace of its own, shared with no other
     * container: tcpdump, exec'd into it, is in that namespace, and the container's /proc lists it.
     */
    private static boolean tcpdumpRunning(TestCluster cluster, TestNamespace namespace, String container) {
        E2ePods.ExecResult result = E2ePods.exec(cluster.client(), namespace, "orphan", container,
                Duration.ofSeconds(20), "sh", "-c", "cat /proc/[0-9]*/comm 2>/dev/null");
        return result.stdoutText().lines().anyMatch(l -> l.strip().equals("tcpdump"));
    }

    /** The forked client: starts a capture, says which container it added, then waits to be killed. */
    public static final class ForkedCapture {
        private ForkedCapture() {
        }

        public static void main(String[] args) throws Exception {
            TestCluster cluster = TestCluster.resolve();
            CaptureRequest request = CaptureRequest.builder().name("orphan")
                    .target(new CaptureTarget(args[0], "", List.of(args[1]), "")).image(cluster.tcpdumpImage())
                    .limits(new CaptureLimits(Duration.ofSeconds(MAX_DURATION_SECONDS), 0, 0, 0))
                    .startTimeout(Duration.ofSeconds(60)).outputDirectory(Path.of(args[2])).build();
            CaptureSession session = CaptureEngine.start(request, cluster.client(), false);
            String container = "capture-packets-" + ((RecordingSession) session).id;
            System.out.println("STARTED " + container);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
