package io.github.capturepackets.capture;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything a capture needs, validated once here. Adapters (the JUnit extension, the Jenkins step, the CLI)
 * turn their own settings into one of these.
 *
 * @param name             a name for the session, used in file names and pcapng comments
 * @param targets          which pods (ignored in {@link CaptureMode#LOCAL})
 * @param mode             where tcpdump runs
 * @param image            the capture image (ephemeral and node modes)
 * @param pullPolicy       its pull policy
 * @param filter           a BPF filter for tcpdump, or empty for everything
 * @param captureInterface the interface tcpdump listens on ({@code any} sees both eth0 and lo)
 * @param snapLength       bytes kept per packet (0: whole packets, which tcpdump is given as {@code -s 65600}: every
 *                         frame Linux builds without BIG TCP, and four times as many per ring as tcpdump's 262144)
 * @param bufferSize       tcpdump's kernel ring per pod in KiB ({@code tcpdump -B}); a burst larger than the ring
 *                         is dropped by the kernel and reported. In immediate mode the kernel maps twice this in
 *                         node memory while capturing (not charged to the pod's memory cgroup)
 * @param limits           duration, size and packet limits per pod
 * @param startTimeout     how long to wait for a capture container to run before failing
 * @param outputDirectory  where pcap files are written
 * @param networkNamespace for {@link CaptureMode#LOCAL}: a named network namespace ({@code ip netns}), or empty
 *                         for this process's own
 */
public record CaptureRequest(String name, List<CaptureTarget> targets, CaptureMode mode, String image,
        PullPolicy pullPolicy, String filter, String captureInterface, int snapLength, int bufferSize, CaptureLimits limits,
        Duration startTimeout, Path outputDirectory, String networkNamespace) {

    /** A pinned image that has tcpdump; override it for air-gapped clusters and private registries. */
    public static final String DEFAULT_IMAGE = "docker.io/nicolaka/netshoot:v0.13";
    public static final Duration DEFAULT_MAX_DURATION = Duration.ofMinutes(30);
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
    /** tcpdump's ring per pod in KiB, chosen by measurement (docs/capture-engine.md). */
    public static final int DEFAULT_BUFFER_SIZE = 65536;
    /** The smallest ring accepted: tcpdump needs room for a few full frames. */
    public static final int MIN_BUFFER_SIZE = 1024;
    /** The largest ring accepted (1 GiB); the ring is memory on the target's node. */
    public static final int MAX_BUFFER_SIZE = 1048576;

    public CaptureRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(outputDirectory, "outputDirectory");
        name = blankToDefault(name, "capture");
        targets = targets == null ? List.of() : List.copyOf(targets);
        image = blankToDefault(image, DEFAULT_IMAGE);
        pullPolicy = pullPolicy == null ? PullPolicy.IF_NOT_PRESENT : pullPolicy;
        filter = filter == null ? "" : filter.trim();
        captureInterface = blankToDefault(captureInterface, "any");
        networkNamespace = networkNamespace == null ? "" : networkNamespace.trim();
        List<String> problems = new ArrayList<>();
        if (mode != CaptureMode.LOCAL) {
            if (targets.isEmpty()) {
                problems.add("no target pods: set a namespace with a label selector or pod names");
            }
            for (CaptureTarget target : targets) {
                if (target.namespace().isEmpty()) {
                    problems.add("a target has no namespace: set the namespace of the pods to capture");
                }
                if (target.labelSelector().isEmpty() && target.pods().isEmpty()) {
                    problems.add("target in namespace '" + target.namespace()
                            + "' selects no pods: set a label selector (app=web) or pod names");
                }
            }
        }
        if (snapLength < 0 || snapLength > 262144) {
            problems.add("snap length " + snapLength + " is out of range: use 0 (whole packets) up to 262144");
        }
        if (bufferSize < MIN_BUFFER_SIZE || bufferSize > MAX_BUFFER_SIZE) {
            problems.add("bufferSize " + bufferSize + " KiB is out of range: use " + MIN_BUFFER_SIZE + " to "
                    + MAX_BUFFER_SIZE + " KiB (tcpdump -B; default " + DEFAULT_BUFFER_SIZE + ")");
        }
        if (limits.maxDuration() == null || limits.maxDuration().isNegative() || limits.maxDuration().isZero()) {
            problems.add("max duration must be positive, was " + limits.maxDuration());
        }
        if (limits.maxBytesPerPod() < 0 || limits.maxPacketsPerPod() < 0 || limits.rotateBytes() < 0) {
            problems.add("byte, packet and rotation limits must be 0 (unlimited) or more");
        }
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            problems.add("start timeout must be positive, was " + startTimeout);
        }
        if (filter.indexOf('\n') >= 0 || filter.indexOf('\0') >= 0) {
            problems.add("the BPF filter must be a single line");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid capture request '" + name + "': " + String.join("; ", problems));
        }
    }

    private static String blankToDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with the documented defaults; {@link #build()} validates. */
    public static final class Builder {
        private String name = "capture";
        private final List<CaptureTarget> targets = new ArrayList<>();
        private CaptureMode mode = CaptureMode.EPHEMERAL;
        private String image = DEFAULT_IMAGE;
        private PullPolicy pullPolicy = PullPolicy.IF_NOT_PRESENT;
        private String filter = "";
        private String captureInterface = "any";
        private int snapLength;
        private int bufferSize = DEFAULT_BUFFER_SIZE;
        private CaptureLimits limits = new CaptureLimits(DEFAULT_MAX_DURATION, 0, 0, 0);
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Path outputDirectory = Path.of("target", "capture-packets");
        private String networkNamespace = "";

        private Builder() {
        }

        public Builder name(String value) {
            name = value;
            return this;
        }

        public Builder target(CaptureTarget value) {
            targets.add(value);
            return this;
        }

        public Builder mode(CaptureMode value) {
            mode = value;
            return this;
        }

        public Builder image(String value) {
            image = value;
            return this;
        }

        public Builder pullPolicy(PullPolicy value) {
            pullPolicy = value;
            return this;
        }

        public Builder filter(String value) {
            filter = value;
            return this;
        }

        public Builder captureInterface(String value) {
            captureInterface = value;
            return this;
        }

        public Builder snapLength(int value) {
            snapLength = value;
            return this;
        }

        /** tcpdump's kernel ring per pod, in KiB ({@code tcpdump -B}). */
        public Builder bufferSize(int value) {
            bufferSize = value;
            return this;
        }

        public Builder limits(CaptureLimits value) {
            limits = value;
            return this;
        }

        public Builder startTimeout(Duration value) {
            startTimeout = value;
            return this;
        }

        public Builder outputDirectory(Path value) {
            outputDirectory = value;
            return this;
        }

        public Builder networkNamespace(String value) {
            networkNamespace = value;
            return this;
        }

        public CaptureRequest build() {
            return new CaptureRequest(name, targets, mode, image, pullPolicy, filter, captureInterface, snapLength,
                    bufferSize, limits, startTimeout, outputDirectory, networkNamespace);
        }
    }
}
