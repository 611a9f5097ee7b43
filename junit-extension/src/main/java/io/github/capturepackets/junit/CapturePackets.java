package io.github.capturepackets.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Captures the network traffic of the pods under test (or, without targets, the test's own traffic on the local
 * loopback interface) while each test runs, analyzes it and attaches the capture and the verdicts to the test.
 *
 * <p>On a class, one capture session serves every test of the class (and its {@code @Nested} classes), sliced per
 * test: a pod gets one capture container however many tests run. On a method, the capture serves that method
 * alone. Repeat the annotation to capture several groups of pods. Every attribute left at its default defers to a
 * configuration parameter ({@code junit-platform.properties} or a system property) named in its documentation,
 * then to a built-in value.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@java.lang.annotation.Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Repeatable(CapturePackets.List.class)
@ExtendWith(CapturePacketsExtension.class)
public @interface CapturePackets {

    /** Kubernetes namespace of the pods. Default: {@code capturepackets.namespace}, else none (local capture). */
    String namespace() default "";

    /** Label selector ({@code app=web}). Default: {@code capturepackets.selector}. */
    String selector() default "";

    /** Pod names. Default: {@code capturepackets.pods} (comma-separated). */
    String[] pods() default {};

    /** Target container whose network the capture joins. Default: {@code capturepackets.container}, else the pod's default container. */
    String container() default "";

    /** BPF filter for tcpdump. Default: {@code capturepackets.filter}, else everything. */
    String filter() default "";

    /** Interface tcpdump listens on. Default: {@code capturepackets.interface}, else {@code any} ({@code lo} in local mode). */
    String captureInterface() default "";

    /** Bytes kept per packet; -1 defers to {@code capturepackets.snapLength}, else 0 (whole packets). */
    int snapLength() default -1;

    /**
     * tcpdump's kernel ring per pod in KiB ({@code tcpdump -B}): a burst larger than the ring is dropped by the kernel
     * and reported as {@code capture.dropped}. -1 defers to {@code capturepackets.bufferSize}, else 65536 (64 MiB).
     */
    int bufferSize() default -1;

    /** Longest capture, as {@code 30s}, {@code 5m} or ISO-8601 {@code PT5M}. Default: {@code capturepackets.maxDuration}, else 30m. */
    String maxDuration() default "";

    /** Bytes per pod before capture stops; -1 defers to {@code capturepackets.maxBytes}, else 0 (unlimited). */
    long maxBytes() default -1;

    /** Packets per pod before capture stops; -1 defers to {@code capturepackets.maxPackets}, else 0 (unlimited). */
    long maxPackets() default -1;

    /** Capture image with tcpdump. Default: {@code capturepackets.image}, else a pinned netshoot image. */
    String image() default "";

    /** Pull policy of the capture image. Default: {@code capturepackets.pullPolicy}, else IF_NOT_PRESENT. */
    Pull pullPolicy() default Pull.DEFAULT;

    /** Where tcpdump runs. Default: {@code capturepackets.mode}, else LOCAL without targets and EPHEMERAL with. */
    Mode mode() default Mode.DEFAULT;

    /** Which tests keep their files. Default: {@code capturepackets.retention}, else ON_FAILURE. */
    Retention retention() default Retention.DEFAULT;

    /**
     * Rule ids ({@code http.5xx}, {@code tcp.refused}) whose findings fail the test; {@code none} for no rule.
     * Default: {@code capturepackets.failOn} (comma-separated), else none.
     */
    String[] failOn() default {};

    /** How long to wait for the capture to run, as {@code 60s} or {@code PT1M}. Default: {@code capturepackets.startTimeout}, else 60s. */
    String startTimeout() default "";

    /** What happens to the tests when the capture cannot start. Default: {@code capturepackets.onStartFailure}, else FAIL. */
    OnStartFailure onStartFailure() default OnStartFailure.DEFAULT;

    /** A kubeconfig file. Default: a {@link CaptureCluster} field, then {@code capturepackets.kubeconfig}, then fabric8's discovery. */
    String kubeconfig() default "";

    /** The kubeconfig context. Default: {@code capturepackets.context}, else the current context. */
    String context() default "";

    /** Where tcpdump runs; DEFAULT defers to configuration. */
    enum Mode {
        DEFAULT,
        EPHEMERAL,
        NODE,
        EXEC,
        LOCAL
    }

    /** Which tests keep their capture files; DEFAULT defers to configuration. */
    enum Retention {
        DEFAULT,
        /** Keep every test's files. */
        ALWAYS,
        /** Keep the files of failed tests (including tests failed by a verdict); delete the rest. */
        ON_FAILURE,
        /** Keep no files; verdicts are still reported. */
        NEVER
    }

    /** What a test does when its capture cannot start; DEFAULT defers to configuration. */
    enum OnStartFailure {
        DEFAULT,
        /** The test fails with the capture engine's message. */
        FAIL,
        /** The test is aborted (reported as skipped) with the capture engine's message. */
        ABORT
    }

    /** Image pull policy; DEFAULT defers to configuration. */
    enum Pull {
        DEFAULT,
        ALWAYS,
        IF_NOT_PRESENT,
        NEVER
    }

    /** Container for repeated {@link CapturePackets}. */
    @Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
    @java.lang.annotation.Retention(RetentionPolicy.RUNTIME)
    @Documented
    @Inherited
    @ExtendWith(CapturePacketsExtension.class)
    @interface List {
        CapturePackets[] value();
    }
}
