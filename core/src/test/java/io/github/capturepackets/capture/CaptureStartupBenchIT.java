package io.github.capturepackets.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.github.capturepackets.e2e.TestCluster;
import io.github.capturepackets.e2e.TestClusterExtension;
import io.github.capturepackets.e2e.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up time of a capture on 1, 10 and 20 pods (bench/capture-startup.sh runs it), per phase: medians over the
 * pods and repetitions of when each phase was reached, relative to the start call. An informer of the bench's own
 * records when the API server first reported each capture container Running, which separates what the node takes
 * (PATCH answered to Running reported) from what the engine adds (Running reported to Running observed). Prints the
 * table and writes it to target/capture-startup.txt; asserts only that every capture started, never a time.
 */
@ExtendWith(TestClusterExtension.class)
@DisplayName("Capture start-up time, 1 vs 10 vs 20 pods")
class CaptureStartupBenchIT {
    static final int PODS = 20;
    static final int[] SIZES = {1, 10, 20};
    static final int REPETITIONS = Integer.getInteger("capturepackets.bench.repetitions", 3);
    static final String API_RUNNING = "Running reported by the API";

    /** First time the bench's informer saw "pod|container" Running, in System.nanoTime(). */
    private final Map<String, Long> apiRunning = new ConcurrentHashMap<>();

    @Test
    @DisplayName("measures per phase how long starting the capture takes on 1, 10 and 20 pods in parallel")
    void startupPerPhase(TestCluster cluster, TestNamespace namespace, @TempDir Path output) throws Exception {
        List<CompletableFuture<Void>> creating = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            String name = "bench-" + i;
            creating.add(CompletableFuture.runAsync(() -> EphemeralEngineIT.createPod(cluster, namespace, name,
                    Map.of("bench", "startup"))));
        }
        creating.forEach(CompletableFuture::join);

        // Not inform(): it waits for the watch without a time limit, and a watch whose WebSocket closes right after
        // the upgrade never starts (see KubernetesCapture.watch()).
        SharedIndexInformer<Pod> informer = cluster.client().pods().inNamespace(namespace.name()).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                seen(pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                seen(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
            }
        });
        try {
            informer.start().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
            // Warm-up: class loading, JIT and the client's connections would otherwise be charged to the first run.
            Run warmUp = run(cluster, namespace, output, 1, "bench-warm-up");
            Map<Integer, List<Run>> runs = new LinkedHashMap<>();
            for (int rep = 0; rep < REPETITIONS; rep++) {
                for (int size : SIZES) {
                    runs.computeIfAbsent(size, k -> new ArrayList<>())
                            .add(run(cluster, namespace, output, size, "bench-" + size));
                }
            }
            String report = report(cluster, warmUp, runs);
            System.out.print(report);
            Path target = Path.of("target");
            Files.createDirectories(target);
            Files.writeString(target.resolve("capture-startup.txt"), report, StandardCharsets.UTF_8);
        } finally {
            informer.close();
        }
    }

    private void seen(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getEphemeralContainerStatuses() == null) {
            return;
        }
        long now = System.nanoTime();
        for (ContainerStatus status : pod.getStatus().getEphemeralContainerStatuses()) {
            if (status.getState() != null && status.getState().getRunning() != null) {
                apiRunning.putIfAbsent(pod.getMetadata().getName() + "|" + status.getName(), now);
            }
        }
    }

    /** One session on the first {@code size} pods: total start time, its timeline, CPU seconds used meanwhile. */
    record Run(double totalMillis, List<StartupTimeline.Event> events, Map<String, Double> cpu) {
    }

    static final List<String> JVM_GROUPS = List.of("vert.x event loops (HTTP, TLS, WebSocket)",
            "capture-packets threads (engine)", "other Java threads (test, informers, ...)",
            "JIT, GC and other native threads");

    /** CPU nanoseconds of this JVM's threads by group, and (last) of the whole process. */
    static double[] jvmCpu() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] nanos = new double[JVM_GROUPS.size() + 1];
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            String name = info.getThreadName();
            int group = name.startsWith("vert.x-eventloop") ? 0 : name.startsWith("capture-packets") ? 1 : 2;
            nanos[group] += Math.max(0, cpu);
        }
        nanos[JVM_GROUPS.size()] = ((com.sun.management.OperatingSystemMXBean) java.lang.management
                .ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        return nanos;
    }

    /** Seconds per JVM group between two snapshots; threads that ended in between fall into the native rest. */
    static Map<String, Double> jvmSeconds(double[] before, double[] after) {
        Map<String, Double> result = new LinkedHashMap<>();
        double javaThreads = 0;
        for (int i = 0; i < JVM_GROUPS.size() - 1; i++) {
            double used = Math.max(0, after[i] - before[i]) / 1e9;
            javaThreads += used;
            result.put(JVM_GROUPS.get(i), used);
        }
        double process = (after[JVM_GROUPS.size()] - before[JVM_GROUPS.size()]) / 1e9;
        result.put(JVM_GROUPS.get(JVM_GROUPS.size() - 1), Math.max(0, process - javaThreads));
        return result;
    }

    static final List<String> CPU_GROUPS = List.of("kubelet", "containerd, shims, runc", "kube-apiserver", "etcd",
            "this JVM", "pod processes (tcpdump, idle loops)", "rest of the machine (busy minus the above)",
            "whole machine (/proc/stat)");

    /**
     * CPU ticks per process (utime + stime + reaped children), from /proc: what the node, the API server and the
     * engine spent while a start ran. Processes that ended in between count through the parent that reaped them.
     */
    static Map<Long, long[]> cpuTicks() {
        Map<Long, long[]> ticks = new LinkedHashMap<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String stat = Files.readString(dir.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // After the command: state is f[0], so utime (field 14) is f[11], then stime, cutime, cstime.
                    long sum = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
                            + Long.parseLong(f[14]);
                    ticks.put(Long.parseLong(dir.getFileName().toString()), new long[] {group(comm, dir), sum});
                } catch (java.io.IOException | RuntimeException e) {
                    // The process ended while we looked.
                }
            }
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < cpu.length && i <= 8; i++) {
                busy += i == 4 || i == 5 ? 0 : Long.parseLong(cpu[i]); // idle and iowait are not busy
            }
            ticks.put(-1L, new long[] {CPU_GROUPS.size() - 1, busy});
        } catch (java.io.IOException e) {
            return Map.of();
        }
        return ticks;
    }

    private static long group(String comm, Path dir) {
        long self = ProcessHandle.current().pid();
        if (dir.getFileName().toString().equals(Long.toString(self))) {
            return 4;
        }
        if (comm.equals("kubelet")) {
            return 0;
        }
        if (comm.startsWith("containerd") || comm.startsWith("runc")) {
            return 1;
        }
        if (comm.equals("kube-apiserver")) {
            return 2;
        }
        if (comm.equals("etcd")) {
            return 3;
        }
        try {
            // The local harness's instance 0 keeps the kubelet's /kubepods; instance N nests it in /capture-packets-N.
            String cgroup = Files.readString(dir.resolve("cgroup"));
            if (cgroup.contains("/capture-packets-") || cgroup.contains(":/kubepods")) {
                return 5;
            }
        } catch (java.io.IOException e) {
            // Ended meanwhile: counted as other.
        }
        return 6;
    }

    static Map<String, Double> cpuSeconds(Map<Long, long[]> before, Map<Long, long[]> after) {
        double[] seconds = new double[CPU_GROUPS.size()];
        for (Map.Entry<Long, long[]> entry : after.entrySet()) {
            long[] earlier = before.get(entry.getKey());
            long used = entry.getValue()[1] - (earlier == null ? 0 : earlier[1]);
            seconds[(int) entry.getValue()[0]] += used / 100.0; // USER_HZ is 100 on Linux
        }
        // Whatever the machine did beyond the named groups (a reaped child's whole CPU time would distort a sum).
        int other = CPU_GROUPS.size() - 2;
        seconds[other] = 0;
        double named = 0;
        for (int i = 0; i < other; i++) {
            named += seconds[i];
        }
        seconds[other] = Math.max(0, seconds[other + 1] - named);
        Map<String, Double> result = new LinkedHashMap<>();
        for (int i = 0; i < seconds.length; i++) {
            result.put(CPU_GROUPS.get(i), seconds[i]);
        }
        return result;
    }

    private Run run(TestCluster cluster, TestNamespace namespace, Path output, int size, String name) {
        List<String> pods = IntStream.range(0, size).mapToObj(i -> "bench-" + i).toList();
        CaptureRequest request = CaptureRequest.builder().name(name).image(cluster.tcpdumpImage())
                .pullPolicy(PullPolicy.IF_NOT_PRESENT)
                .target(new CaptureTarget(namespace.name(), "", pods, "")).startTimeout(Duration.ofSeconds(120))
                .outputDirectory(output).build();
        Map<Long, long[]> cpuBefore = cpuTicks();
        double[] jvmBefore = jvmCpu();
        long begin = System.nanoTime();
        RecordingSession session = (RecordingSession) CaptureEngine.start(request, cluster.client(), false);
        double total = (System.nanoTime() - begin) / 1e6;
        Map<String, Double> cpu = new LinkedHashMap<>(cpuSeconds(cpuBefore, cpuTicks()));
        cpu.putAll(jvmSeconds(jvmBefore, jvmCpu()));
        try {
            assertThat(session.recorders()).hasSize(size);
            List<StartupTimeline.Event> events = new ArrayList<>(session.timeline.events());
            String container = "capture-packets-" + session.id;
            for (String pod : pods) {
                Long at = apiRunning.get(pod + "|" + container);
                if (at != null) {
                    events.add(new StartupTimeline.Event(pod, API_RUNNING,
                            (at - session.timeline.originNanos()) / 1e6));
                }
            }
            return new Run(total, events, cpu);
        } finally {
            session.close();
        }
    }

    private static String report(TestCluster cluster, Run warmUp, Map<Integer, List<Run>> runs) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("capture start-up on %s, %d repetitions (first, cold run %.0f ms)%n",
                cluster.description(), REPETITIONS, warmUp.totalMillis()));
        out.append(String.format("%-44s", "median ms after the start call (per pod)"));
        runs.keySet().forEach(size -> out.append(String.format("%12s", size + (size == 1 ? " pod" : " pods"))));
        out.append('\n');
        List<String> sessionPhases = List.of(StartupTimeline.PREFLIGHT_DONE, StartupTimeline.PODS_RESOLVED);
        List<String> podPhases = List.of(StartupTimeline.PATCH_SENT, StartupTimeline.PATCH_ANSWERED, API_RUNNING,
                StartupTimeline.RUNNING_OBSERVED, StartupTimeline.EXEC_STARTED, StartupTimeline.LISTENING);
        for (String phase : sessionPhases) {
            row(out, phase, runs, run -> at(run, StartupTimeline.SESSION, phase, null));
        }
        for (String phase : podPhases) {
            row(out, phase + " (median pod)", runs, run -> at(run, null, phase, null));
            row(out, phase + " (last pod)", runs, run -> List.of(at(run, null, phase, null).stream()
                    .mapToDouble(Double::doubleValue).max().orElse(Double.NaN)));
        }
        row(out, StartupTimeline.ALL_STARTED, runs, run -> at(run, StartupTimeline.SESSION,
                StartupTimeline.ALL_STARTED, null));
        out.append("durations per pod (median)\n");
        row(out, "  PATCH round trip", runs, run -> between(run, StartupTimeline.PATCH_SENT,
                StartupTimeline.PATCH_ANSWERED));
        row(out, "  node: PATCH answered -> Running reported", runs, run -> between(run,
                StartupTimeline.PATCH_ANSWERED, API_RUNNING));
        row(out, "  engine: Running reported -> observed", runs, run -> between(run, API_RUNNING,
                StartupTimeline.RUNNING_OBSERVED));
        row(out, "  exec started -> listening", runs, run -> between(run, StartupTimeline.EXEC_STARTED,
                StartupTimeline.LISTENING));
        row(out, "total start call", runs, run -> List.of(run.totalMillis()));
        out.append("CPU seconds used during the start call (median session)\n");
        for (String group : CPU_GROUPS) {
            row(out, "  " + group, runs, run -> run.cpu().containsKey(group) ? List.of(run.cpu().get(group))
                    : List.of(), "%12.2f");
        }
        out.append("  of which this JVM\n");
        for (String group : JVM_GROUPS) {
            row(out, "    " + group, runs, run -> run.cpu().containsKey(group) ? List.of(run.cpu().get(group))
                    : List.of(), "%12.2f");
        }
        String machine = CPU_GROUPS.get(CPU_GROUPS.size() - 1);
        row(out, "  cores busy (whole machine / wall time)", runs, run -> run.cpu().containsKey(machine)
                ? List.of(run.cpu().get(machine) * 1000 / run.totalMillis()) : List.of(), "%12.2f");
        double one = median(runs.get(1).stream().map(Run::totalMillis).toList());
        out.append(String.format("%-44s", "ratio to 1 pod"));
        for (List<Run> list : runs.values()) {
            out.append(String.format("%12.2f", median(list.stream().map(Run::totalMillis).toList()) / one));
        }
        out.append('\n');
        return out.toString();
    }

    private static void row(StringBuilder out, String label, Map<Integer, List<Run>> runs,
            java.util.function.Function<Run, List<Double>> values) {
        row(out, label, runs, values, "%12.0f");
    }

    private static void row(StringBuilder out, String label, Map<Integer, List<Run>> runs,
            java.util.function.Function<Run, List<Double>> values, String format) {
        out.append(String.format("%-44s", label));
        for (List<Run> list : runs.values()) {
            List<Double> all = list.stream().flatMap(r -> values.apply(r).stream()).toList();
            out.append(all.isEmpty() ? String.format("%12s", "-") : String.format(format, median(all)));
        }
        out.append('\n');
    }

    /** Times of a phase: of the session, or (pod null) of every pod. */
    private static List<Double> at(Run run, String pod, String phase, Object unused) {
        return run.events().stream().filter(e -> e.phase().equals(phase))
                .filter(e -> pod == null ? !e.pod().equals(StartupTimeline.SESSION) : e.pod().equals(pod))
                .map(StartupTimeline.Event::millis).toList();
    }

    private static List<Double> between(Run run, String from, String to) {
        Map<String, Double> starts = new LinkedHashMap<>();
        run.events().stream().filter(e -> e.phase().equals(from)).forEach(e -> starts.put(e.pod(), e.millis()));
        return run.events().stream().filter(e -> e.phase().equals(to) && starts.containsKey(e.pod()))
                .map(e -> e.millis() - starts.get(e.pod())).toList();
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
