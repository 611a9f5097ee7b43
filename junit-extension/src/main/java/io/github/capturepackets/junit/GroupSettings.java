package io.github.capturepackets.junit;

import io.github.capturepackets.analysis.Rule;
import io.github.capturepackets.capture.CaptureLimits;
import io.github.capturepackets.capture.CaptureMode;
import io.github.capturepackets.capture.CaptureRequest;
import io.github.capturepackets.capture.CaptureTarget;
import io.github.capturepackets.capture.PullPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/**
 * One {@link CapturePackets} annotation resolved against the configuration: the validated capture request plus
 * what the extension does with the outcome. Built only by {@link #resolve}, which is the one place where
 * annotation values, configuration parameters and built-in defaults meet.
 */
record GroupSettings(CaptureRequest request, CapturePackets.Retention retention, Set<Rule> failOn,
        CapturePackets.OnStartFailure onStartFailure, String kubeconfig, String context, boolean stdoutAttachments) {

    static final String PREFIX = "capturepackets.";
    static final String NAMESPACE = PREFIX + "namespace";
    static final String SELECTOR = PREFIX + "selector";
    static final String PODS = PREFIX + "pods";
    static final String CONTAINER = PREFIX + "container";
    static final String FILTER = PREFIX + "filter";
    static final String INTERFACE = PREFIX + "interface";
    static final String SNAP_LENGTH = PREFIX + "snapLength";
    static final String BUFFER_SIZE = PREFIX + "bufferSize";
    static final String MAX_DURATION = PREFIX + "maxDuration";
    static final String MAX_BYTES = PREFIX + "maxBytes";
    static final String MAX_PACKETS = PREFIX + "maxPackets";
    static final String IMAGE = PREFIX + "image";
    static final String PULL_POLICY = PREFIX + "pullPolicy";
    static final String MODE = PREFIX + "mode";
    static final String RETENTION = PREFIX + "retention";
    static final String FAIL_ON = PREFIX + "failOn";
    static final String START_TIMEOUT = PREFIX + "startTimeout";
    static final String ON_START_FAILURE = PREFIX + "onStartFailure";
    static final String KUBECONFIG = PREFIX + "kubeconfig";
    static final String CONTEXT = PREFIX + "context";
    /** Not an annotation attribute: a suite-wide setting. */
    static final String OUTPUT_DIR = PREFIX + "outputDir";
    static final String NETWORK_NAMESPACE = PREFIX + "networkNamespace";
    static final String STDOUT_ATTACHMENTS = PREFIX + "stdoutAttachments";
    static final String SCOPE = PREFIX + "scope";

    /** Every configuration key, in documentation order. */
    static final List<String> ALL_KEYS = List.of(NAMESPACE, SELECTOR, PODS, CONTAINER, FILTER, INTERFACE,
            SNAP_LENGTH, BUFFER_SIZE, MAX_DURATION, MAX_BYTES, MAX_PACKETS, IMAGE, PULL_POLICY, MODE, RETENTION, FAIL_ON,
            START_TIMEOUT, ON_START_FAILURE, KUBECONFIG, CONTEXT, OUTPUT_DIR, NETWORK_NAMESPACE, STDOUT_ATTACHMENTS, SCOPE);

    static final String DEFAULT_OUTPUT_DIR = "target/capture-packets";

    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    /**
     * Resolves an annotation. {@code config} answers configuration parameters (JUnit looks in launcher parameters,
     * system properties and {@code junit-platform.properties}).
     *
     * @throws ExtensionConfigurationException naming the setting and the fix
     */
    static GroupSettings resolve(CapturePackets annotation, Function<String, Optional<String>> config, String name,
            Path sessionDirectory) {
        Lookup lookup = new Lookup(config);
        String namespace = lookup.text(annotation.namespace(), NAMESPACE);
        String selector = lookup.text(annotation.selector(), SELECTOR);
        List<String> pods = lookup.list(annotation.pods(), PODS);
        String container = lookup.text(annotation.container(), CONTAINER);
        boolean hasTargets = !namespace.isEmpty() || !selector.isEmpty() || !pods.isEmpty();

        CaptureMode mode = lookup.enumValue(annotation.mode() == CapturePackets.Mode.DEFAULT ? "" : annotation.mode().name(),
                MODE, CaptureMode.class, hasTargets ? CaptureMode.EPHEMERAL : CaptureMode.LOCAL);
        String defaultInterface = mode == CaptureMode.LOCAL ? "lo" : "any";
        String captureInterface = lookup.text(annotation.captureInterface(), INTERFACE);
        int snapLength = (int) lookup.number(annotation.snapLength(), SNAP_LENGTH, 0);
        long bufferSize = lookup.number(annotation.bufferSize(), BUFFER_SIZE, CaptureRequest.DEFAULT_BUFFER_SIZE);
        Duration maxDuration = lookup.duration(annotation.maxDuration(), MAX_DURATION,
                CaptureRequest.DEFAULT_MAX_DURATION);
        long maxBytes = lookup.number(annotation.maxBytes(), MAX_BYTES, 0);
        long maxPackets = lookup.number(annotation.maxPackets(), MAX_PACKETS, 0);
        PullPolicy pull = lookup.enumValue(annotation.pullPolicy() == CapturePackets.Pull.DEFAULT ? ""
                : annotation.pullPolicy().name(), PULL_POLICY, PullPolicy.class, PullPolicy.IF_NOT_PRESENT);
        CapturePackets.Retention retention = lookup.enumValue(annotation.retention() == CapturePackets.Retention.DEFAULT
                ? "" : annotation.retention().name(), RETENTION, CapturePackets.Retention.class,
                CapturePackets.Retention.ON_FAILURE);
        CapturePackets.OnStartFailure onStartFailure = lookup.enumValue(
                annotation.onStartFailure() == CapturePackets.OnStartFailure.DEFAULT ? ""
                        : annotation.onStartFailure().name(),
                ON_START_FAILURE, CapturePackets.OnStartFailure.class, CapturePackets.OnStartFailure.FAIL);
        if (retention == CapturePackets.Retention.DEFAULT || onStartFailure == CapturePackets.OnStartFailure.DEFAULT) {
            throw new ExtensionConfigurationException("DEFAULT is not a value for " + RETENTION + " or "
                    + ON_START_FAILURE + ": name a concrete value (for example ON_FAILURE, FAIL)");
        }
        Set<Rule> failOn = rules(lookup.list(annotation.failOn(), FAIL_ON));
        Duration startTimeout = lookup.duration(annotation.startTimeout(), START_TIMEOUT,
                CaptureRequest.DEFAULT_START_TIMEOUT);

        CaptureRequest.Builder builder = CaptureRequest.builder()
                .name(name)
                .mode(mode)
                .image(lookup.text(annotation.image(), IMAGE))
                .pullPolicy(pull)
                .filter(lookup.text(annotation.filter(), FILTER))
                .captureInterface(captureInterface.isEmpty() ? defaultInterface : captureInterface)
                .snapLength(snapLength)
                .bufferSize((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, bufferSize)))
                .limits(new CaptureLimits(maxDuration, maxBytes, maxPackets, 0))
                .startTimeout(startTimeout)
                .outputDirectory(sessionDirectory)
                .networkNamespace(lookup.text("", NETWORK_NAMESPACE));
        if (mode != CaptureMode.LOCAL && hasTargets) {
            builder.target(new CaptureTarget(namespace, selector, pods, container));
        }
        CaptureRequest request;
        try {
            request = builder.build();
        } catch (IllegalArgumentException e) {
            throw new ExtensionConfigurationException("@CapturePackets: " + e.getMessage(), e);
        }
        String stdoutSetting = lookup.text("", STDOUT_ATTACHMENTS);
        // Surefire cannot tell which parallel test printed a line (SUREFIRE-1953): a line would be attached to the
        // wrong test case, so under parallel execution the lines are off unless asked for.
        boolean stdout = stdoutSetting.isEmpty() || stdoutSetting.equalsIgnoreCase("auto")
                ? !"true".equalsIgnoreCase(lookup.text("", "junit.jupiter.execution.parallel.enabled"))
                : Boolean.parseBoolean(stdoutSetting);
        return new GroupSettings(request, retention, failOn, onStartFailure, lookup.text(annotation.kubeconfig(), KUBECONFIG),
                lookup.text(annotation.context(), CONTEXT), stdout);
    }

    private static Set<Rule> rules(List<String> ids) {
        Set<Rule> rules = EnumSet.noneOf(Rule.class);
        for (String id : ids) {
            if (id.equalsIgnoreCase("none")) {
                continue;
            }
            try {
                rules.add(Rule.fromId(id));
            } catch (IllegalArgumentException e) {
                throw new ExtensionConfigurationException("@CapturePackets failOn (" + FAIL_ON + "): " + e.getMessage(), e);
            }
        }
        return rules;
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h} or ISO-8601 ({@code PT5M}). */
    static Duration parseDuration(String text, String key) {
        String value = text.trim();
        Matcher matcher = SHORT_DURATION.matcher(value.toLowerCase(Locale.ROOT));
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            return switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        }
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new ExtensionConfigurationException("@CapturePackets " + key + ": '" + text
                    + "' is not a duration; write it as 500ms, 30s, 5m, 2h or ISO-8601 (PT5M)", e);
        }
    }

    /** Annotation value first (when not its DEFAULT), then the configuration parameter, then the built-in value. */
    private record Lookup(Function<String, Optional<String>> config) {
        String text(String annotationValue, String key) {
            if (!annotationValue.isBlank()) {
                return annotationValue.trim();
            }
            return config.apply(key).map(String::trim).orElse("");
        }

        List<String> list(String[] annotationValue, String key) {
            List<String> values = new ArrayList<>();
            if (annotationValue.length > 0) {
                Arrays.stream(annotationValue).map(String::trim).filter(v -> !v.isEmpty()).forEach(values::add);
            } else {
                config.apply(key).ifPresent(v -> Arrays.stream(v.split(",")).map(String::trim)
                        .filter(s -> !s.isEmpty()).forEach(values::add));
            }
            return values;
        }

        long number(long annotationValue, String key, long builtIn) {
            if (annotationValue >= 0) {
                return annotationValue;
            }
            Optional<String> configured = config.apply(key).map(String::trim).filter(v -> !v.isEmpty());
            if (configured.isEmpty()) {
                return builtIn;
            }
            try {
                return Long.parseLong(configured.get());
            } catch (NumberFormatException e) {
                throw new ExtensionConfigurationException(key + " must be a whole number, was '" + configured.get() + "'",
                        e);
            }
        }

        Duration duration(String annotationValue, String key, Duration builtIn) {
            String value = text(annotationValue, key);
            return value.isEmpty() ? builtIn : parseDuration(value, key);
        }

        <E extends Enum<E>> E enumValue(String annotationValue, String key, Class<E> type, E builtIn) {
            String value = text(annotationValue, key);
            if (value.isEmpty()) {
                return builtIn;
            }
            String normalized = value.toUpperCase(Locale.ROOT).replace('-', '_');
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(normalized)) {
                    return constant;
                }
            }
            throw new ExtensionConfigurationException(key + " is '" + value + "'; use one of "
                    + Arrays.stream(type.getEnumConstants()).map(Enum::name).filter(n -> !n.equals("DEFAULT")).toList());
        }
    }
}
