package io.github.capturepackets.capture;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;

/**
 * tcpdump started through {@code pods/exec} in a container: its standard output (the pcap) and error stream back
 * over the API server. The shell prints tcpdump's PID first ({@link TcpdumpCommand#shellCommand}); a second exec
 * sends it SIGTERM to stop or SIGUSR1 for its counters so far (busybox has no pkill).
 */
final class ExecProcess implements CaptureProcess {
    private static final long KILL_EXEC_TIMEOUT_MILLIS = 10_000;

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;
    private final String container;
    private final ExecWatch watch;
    private final LongFunction<String> pidSource;

    private ExecProcess(KubernetesClient client, String namespace, String pod, String container, ExecWatch watch,
            LongFunction<String> pidSource) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
        this.container = container;
        this.watch = watch;
        this.pidSource = pidSource;
    }

    /**
     * @param limit          the hard time limit, kept inside the container
     * @param spoolFiles     the spool's bound in files ({@link TcpdumpCommand#shellCommand})
     * @param tcpdumpCommand the tcpdump command
     * @param pidSource      waits up to the given milliseconds for the PID the shell printed (from stderr)
     */
    static ExecProcess start(KubernetesClient client, String namespace, String pod, String container,
            Duration limit, int spoolFiles, List<String> tcpdumpCommand, LongFunction<String> pidSource) {
        ExecWatch watch = client.pods().inNamespace(namespace).withName(pod).inContainer(container)
                // No readiness wait: an unready pod is exactly the kind a test may need to look at.
                .withReadyWaitTimeout(0).redirectingOutput().redirectingError().exec("sh", "-c", TcpdumpCommand.shellCommand(limit, tcpdumpCommand, spoolFiles));
        return new ExecProcess(client, namespace, pod, container, watch, pidSource);
    }

    @Override
    public InputStream pcap() {
        return watch.getOutput();
    }

    @Override
    public InputStream stderr() {
        return watch.getError();
    }

    @Override
    public void terminate() throws Exception {
        signal("TERM");
    }

    @Override
    public void requestStatistics() throws Exception {
        signal("USR1");
    }

    private void signal(String signal) throws Exception {
        String pid = pidSource.apply(KILL_EXEC_TIMEOUT_MILLIS);
        if (pid == null || !pid.matches("\\d+")) {
            throw new CaptureException("tcpdump's process id in " + namespace + "/" + pod + " (container "
                    + container + ") never arrived, so it cannot be signalled; its time limit will end it");
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ExecWatch kill = client.pods().inNamespace(namespace).withName(pod).inContainer(container)
                .withReadyWaitTimeout(0).writingError(err).exec("sh", "-c", "kill -" + signal + " " + pid)) {
            int code = kill.exitCode().get(KILL_EXEC_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            // Exit 1 with "No such process": tcpdump had already ended (time limit, stream closed); fine.
            if (code != 0 && !err.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT).contains("no such process")) {
                throw new CaptureException("kill -" + signal + " " + pid + " in " + namespace + "/" + pod
                        + " failed with exit code " + code + ": " + err.toString(StandardCharsets.UTF_8).strip());
            }
        }
    }

    @Override
    public void kill() {
        try {
            signal("KILL");
        } catch (Exception e) {
            // The stream is closed below in any case; the in-container time limit ends what is left.
        } finally {
            watch.close();
        }
    }

    @Override
    public boolean awaitExit(long millis) throws InterruptedException {
        try {
            watch.exitCode().get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    @Override
    public String exitDescription() {
        CompletableFuture<Integer> exit = watch.exitCode();
        if (!exit.isDone()) {
            return "no exit status from the exec stream";
        }
        try {
            return "exit code " + exit.getNow(null);
        } catch (RuntimeException e) {
            return "the exec stream failed: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        }
    }

    /** True when the exec ended with an exit status (not a broken stream). */
    boolean exitedNormally() {
        CompletableFuture<Integer> exit = watch.exitCode();
        return exit.isDone() && !exit.isCompletedExceptionally();
    }

    void close() {
        watch.close();
    }
}
