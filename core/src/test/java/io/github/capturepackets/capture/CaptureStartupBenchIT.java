package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestClusterExtension;
import io.github.capturepackets.e2e.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up time of a capture on 1 and on 10 pods (bench/capture-startup.sh runs it). Prints the numbers and writes
 * them to target/capture-startup.txt; asserts only that every capture started, never a time.
 */
@ExtendWith(TestClusterExtension.class)
@DisplayName("Capture start-up time, 1 vs 10 pods")
class CaptureStartupBenchIT {
    static final int PODS = 10;

    @Test
    @DisplayName("measures how long starting the capture takes on 1 pod and on 10 pods in parallel")
    void startupOneVersusTen(TestCluster cluster, TestNamespace namespace, @TempDir Path output) throws Exception {
        List<CompletableFuture<Void>> creating = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            String name = "bench-" + i;
            creating.add(CompletableFuture.runAsync(() -> EphemeralEngineIT.createPod(cluster, namespace, name,
                    Map.of("bench", "startup"))));
        }
        creating.forEach(CompletableFuture::join);

        Duration one = time(cluster, CaptureRequest.builder().name("bench-one")
                .target(new CaptureTarget(namespace.name(), "", List.of("bench-0"), "")), output, 1);
        Duration ten = time(cluster, CaptureRequest.builder().name("bench-ten")
                .target(new CaptureTarget(namespace.name(), "bench=startup", List.of(), "")), output, PODS);
        String report = String.format("capture start-up on %s: 1 pod %d ms, %d pods %d ms (ratio %.2f)%n",
                cluster.description(), one.toMillis(), PODS, ten.toMillis(),
                (double) ten.toMillis() / Math.max(1, one.toMillis()));
        System.out.print(report);
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("capture-startup.txt"), report, StandardCharsets.UTF_8);
    }

    private static Duration time(TestCluster cluster, CaptureRequest.Builder builder, Path output, int expected) {
        CaptureRequest request = builder.image(cluster.tcpdumpImage()).startTimeout(Duration.ofSeconds(120))
                .outputDirectory(output).build();
        long begin = System.nanoTime();
        CaptureSession session = CaptureEngine.start(request, cluster.client(), false);
        Duration took = Duration.ofNanos(System.nanoTime() - begin);
        try {
            assertThat(((RecordingSession) session).recorders()).hasSize(expected);
        } finally {
            session.close();
        }
        return took;
    }
}
