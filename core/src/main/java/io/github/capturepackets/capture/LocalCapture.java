package io.github.capturepackets.capture;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
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
            // The same shell as in a pod: tcpdump spools into the session directory and the shell streams it to us,
            // so a burst never waits for this JVM to read it (it did: 3,026 kernel drops in a 100 MB loopback burst).
            command.addAll(List.of("sh", "-c", TcpdumpCommand.shellCommand(request.limits().maxDuration(),
                    TcpdumpCommand.tcpdump(tcpdump.toString(), iface, request.snapLength(), request.bufferSize(),
                            request.filter()), TcpdumpCommand.spoolFiles(request.limits()), directory.toString())));
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
            recorder.attach(new LocalProcess(process, recorder.stderr()));
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
     * The capture shell as a child process; tcpdump's own PID comes first on its standard error, and SIGTERM and
     * SIGUSR1 go to tcpdump (signalling the shell would end it and orphan tcpdump).
     */
    private record LocalProcess(Process process, TcpdumpStderr parser) implements CaptureProcess {
        private static final long PID_WAIT_MILLIS = 5_000;

        @Override
        public InputStream pcap() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }

        @Override
        public void terminate() throws IOException, InterruptedException {
            signal("TERM");
        }

        @Override
        public void requestStatistics() throws IOException, InterruptedException {
            signal("USR1");
        }

        private void signal(String signal) throws IOException, InterruptedException {
            String pid = parser.awaitPid(PID_WAIT_MILLIS);
            if (pid == null || !pid.matches("\\d+")) {
                throw new CaptureException("tcpdump's process id never arrived from the capture shell (PID "
                        + process.pid() + "), so it cannot be signalled; its time limit will end it");
            }
            Process kill = new ProcessBuilder("kill", "-" + signal, pid).redirectErrorStream(true).start();
            boolean done = kill.waitFor(5, TimeUnit.SECONDS);
            if (!done) {
                kill.destroyForcibly();
            }
            String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            // "No such process": tcpdump had already ended (time limit, failed start); nothing to signal.
            if (!done || (kill.exitValue() != 0 && !said.toLowerCase(Locale.ROOT).contains("no such process"))) {
                throw new CaptureException("kill -" + signal + " " + pid + " failed: " + said);
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
