package io.github.capturepackets.capture;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** {@link CaptureMode#LOCAL}: tcpdump as a child process, on an interface here or in a named network namespace. */
final class LocalCapture {
    private LocalCapture() {
    }

    static CaptureSession start(CaptureRequest request) {
        String path = System.getenv("PATH");
        return start(request, (path == null ? "" : path + File.pathSeparator) + "/usr/local/sbin:/usr/sbin:/sbin");
    }

    /** @param searchPath where to look for tcpdump, in {@code PATH} syntax */
    static CaptureSession start(CaptureRequest request, String searchPath) {
        Path tcpdump = findTcpdump(searchPath).orElseThrow(() -> new CaptureException(
                "tcpdump was not found (searched " + searchPath + "). Local capture runs "
                        + "tcpdump: install it (Debian/Ubuntu: apt-get install tcpdump; Fedora: dnf install tcpdump;"
                        + " Alpine: apk add tcpdump; macOS has it) or put it on the PATH."));
        Session session = new Session(request);
        return RecordingSession.beginOrStop(session, () -> session.begin(tcpdump));
    }

    static Optional<Path> findTcpdump(String searchPath) {
        Set<String> directories = new LinkedHashSet<>();
        if (searchPath != null) {
            for (String entry : searchPath.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    directories.add(entry);
                }
            }
        }
        return directories.stream().map(d -> Path.of(d, "tcpdump")).filter(Files::isExecutable).findFirst();
    }

    private static final class Session extends RecordingSession {
        Session(CaptureRequest request) {
            super(request);
        }

        void begin(Path tcpdump) {
            String iface = request.captureInterface();
            String netns = request.networkNamespace();
            String label = netns.isEmpty() ? iface : netns + ":" + iface;
            List<String> command = new ArrayList<>();
            if (!netns.isEmpty()) {
                command.addAll(List.of("ip", "netns", "exec", netns));
            }
            command.addAll(TcpdumpCommand.withTimeLimit(request.limits().maxDuration(),
                    TcpdumpCommand.tcpdump(tcpdump.toString(), iface, request.snapLength(), request.bufferSize(),
                            request.filter())));
            PodRecorder recorder = new PodRecorder("", label, "", CaptureMode.LOCAL, label,
                    directory.resolve(safe(label)), request.limits(), request.bufferSize(), executor);
            Process process;
            try {
                process = new ProcessBuilder(command).start();
            } catch (IOException e) {
                throw new CaptureException("Cannot run " + command.get(0) + " for a local capture on " + label + ": "
                        + e.getMessage() + (netns.isEmpty() ? "" : ". Capturing in a network namespace needs "
                        + "iproute2's ip (apt-get install iproute2)."), e);
            }
            recorder.attach(new LocalProcess(process));
            boolean listening;
            try {
                listening = recorder.stderr().awaitListening(request.startTimeout().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                listening = false;
            }
            if (!listening) {
                recorder.stop();
                String said = recorder.stderr().text();
                throw new CaptureException("tcpdump could not start capturing on interface '" + iface + "'"
                        + (netns.isEmpty() ? "" : " in network namespace '" + netns + "'")
                        + (request.filter().isEmpty() ? "" : " with filter '" + request.filter() + "'")
                        + ": " + (said.isEmpty() ? "it printed nothing within " + request.startTimeout() : said)
                        + hint(said) + " (command: " + TcpdumpCommand.shellLine(command) + ")");
            }
            addRecorder(recorder);
        }

        private static String hint(String said) {
            String lower = said.toLowerCase(Locale.ROOT);
            if (lower.contains("permission") || lower.contains("operation not permitted")) {
                return ". Capturing needs root or CAP_NET_RAW: run as root, or "
                        + "setcap cap_net_raw,cap_net_admin=eip on tcpdump";
            }
            if (lower.contains("no such device")) {
                return ". Check the interface name (ip link lists them; 'any' captures all)";
            }
            if (lower.contains("syntax error") || lower.contains("filter") || lower.contains("unknown")) {
                return ". Check the BPF filter (see man pcap-filter)";
            }
            if (lower.contains("cannot open network namespace") || lower.contains("netns")) {
                return ". Check the network namespace name (ip netns list)";
            }
            return "";
        }

        @Override
        void release() {
            // The child process is the only resource; its recorder stopped it.
        }
    }

    /**
     * A tcpdump child process under {@code timeout}. SIGTERM goes to timeout, which passes it on to tcpdump; SIGUSR1
     * goes to tcpdump itself (timeout would die of it).
     */
    private record LocalProcess(Process process) implements CaptureProcess {
        @Override
        public InputStream pcap() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }

        @Override
        public void terminate() {
            // Through the handle: Process.destroy() would also close our ends of the pipes and lose the counters.
            process.toHandle().destroy();
        }

        @Override
        public void requestStatistics() throws IOException, InterruptedException {
            ProcessHandle tcpdump = process.descendants()
                    .filter(p -> p.info().command().map(c -> c.endsWith("/tcpdump") || c.equals("tcpdump"))
                            .orElse(false))
                    .findFirst().orElseThrow(() -> new CaptureException("tcpdump is no longer running under "
                            + process.pid() + ", so its counters cannot be read"));
            Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(tcpdump.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                kill.destroyForcibly();
                throw new CaptureException("kill -USR1 " + tcpdump.pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }

        @Override
        public void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        @Override
        public boolean awaitExit(long millis) throws InterruptedException {
            return process.waitFor(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public String exitDescription() {
            return process.isAlive() ? "" : "exit code " + process.exitValue();
        }
    }
}
