package io.github.capturepackets.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the field that tells {@link CapturePackets} how to reach the cluster: a kubeconfig ({@code Path},
 * {@code File} or {@code String} path), a fabric8 {@code KubernetesClient}, or a testcontainers
 * {@code K3sContainer}. A single field of one of the two last types is found without this annotation; use it to
 * choose among several. Static fields serve class-level captures; instance fields serve method-level captures.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface CaptureCluster {
}
