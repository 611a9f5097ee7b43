package io.github.capturepackets.junit;

import io.github.capturepackets.testing.Needs;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips (with a {@code needs WHAT:} reason, see {@link Needs}) tests that run real local captures when this machine
 * cannot: no root or no tcpdump.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresLocalCapture.Condition.class)
@interface RequiresLocalCapture {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin";
            boolean tcpdump = Stream.of(path.split(":")).filter(s -> !s.isBlank())
                    .anyMatch(d -> Files.isExecutable(Path.of(d, "tcpdump")));
            if (!tcpdump) {
                return ConditionEvaluationResult.disabled(Needs.reason("tcpdump",
                        "tcpdump is not installed (apt-get install tcpdump); .ci/run installs it"));
            }
            if (!isRoot()) {
                return ConditionEvaluationResult.disabled(Needs.reason("root", "local capture needs root (or "
                        + "CAP_NET_RAW on tcpdump); this test runs as a normal user"));
            }
            return ConditionEvaluationResult.enabled("root and tcpdump available");
        }

        private static boolean isRoot() {
            try {
                return Files.readAllLines(Path.of("/proc/self/status")).stream()
                        .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[1].equals("0"));
            } catch (IOException e) {
                return false;
            }
        }
    }
}
