package io.github.capturepackets.capture;

import java.util.ArrayList;
import java.util.List;

/**
 * What a capture needs and whether the cluster provides it, checked before anything is created. {@link #message()}
 * explains every problem in one text: the pod, the missing permission or setting, and the fix with the YAML.
 *
 * @param checks  every check made, in order
 * @param message a summary for people: empty when everything passed without warnings
 */
public record Preflight(List<Check> checks, String message) {
    public Preflight {
        checks = List.copyOf(checks);
        message = message == null ? "" : message;
    }

    /** True when no check failed (warnings allowed). */
    public boolean passed() {
        return checks.stream().noneMatch(c -> c.status() == Status.FAIL);
    }

    /** The checks that failed. */
    public List<Check> failures() {
        return checks.stream().filter(c -> c.status() == Status.FAIL).toList();
    }

    public enum Status {
        OK,
        /** The capture can go ahead, but something deserves a look (explained in the detail). */
        WARN,
        FAIL
    }

    /**
     * One check.
     *
     * @param subject what was checked: a pod ({@code ns/pod}), a namespace or the server
     * @param name    the requirement, such as {@code patch pods/ephemeralcontainers}
     * @param status  the outcome
     * @param detail  what was found
     * @param fix     what to do about it (empty when nothing is needed)
     */
    public record Check(String subject, String name, Status status, String detail, String fix) {
    }

    /**
     * The smallest Role that lets capturing work in {@code namespace} (all modes), with a RoleBinding for a
     * ServiceAccount placeholder.
     */
    public static String roleYaml(String namespace) {
        return roleYaml(namespace, CaptureMode.EPHEMERAL);
    }

    /** The smallest Role for one mode: node mode also creates and deletes its capture pods. */
    public static String roleYaml(String namespace, CaptureMode mode) {
        List<String> lines = new ArrayList<>(List.of(
                "apiVersion: rbac.authorization.k8s.io/v1",
                "kind: Role",
                "metadata:",
                "  name: capture-packets",
                "  namespace: " + namespace,
                "rules:",
                "- apiGroups: [\"\"]",
                "  resources: [\"pods\"]",
                "  verbs: [" + (mode == CaptureMode.NODE ? "\"get\", \"list\", \"watch\", \"create\", \"delete\""
                        : "\"get\", \"list\", \"watch\"") + "]",
                "- apiGroups: [\"\"]",
                "  resources: [\"pods/ephemeralcontainers\"]",
                "  verbs: [\"get\", \"patch\", \"update\"]",
                "- apiGroups: [\"\"]",
                "  resources: [\"pods/exec\"]",
                "  verbs: [\"create\", \"get\"]",
                "---",
                "apiVersion: rbac.authorization.k8s.io/v1",
                "kind: RoleBinding",
                "metadata:",
                "  name: capture-packets",
                "  namespace: " + namespace,
                "roleRef:",
                "  apiGroup: rbac.authorization.k8s.io",
                "  kind: Role",
                "  name: capture-packets",
                "subjects:",
                "- kind: ServiceAccount",
                "  name: YOUR-CI-SERVICE-ACCOUNT",
                "  namespace: " + namespace));
        return String.join("\n", lines) + "\n";
    }
}
