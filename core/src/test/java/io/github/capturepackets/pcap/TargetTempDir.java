package io.github.capturepackets.pcap;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Temporary directories under {@code target/} instead of {@code /tmp}: on the shared build machine something
 * else empties {@code /tmp/junit-*} while tests run, and tshark then finds no file.
 */
final class TargetTempDir implements TempDirFactory {

    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context) throws Exception {
        Path base = Files.createDirectories(Path.of("target", "test-tmp").toAbsolutePath());
        return Files.createTempDirectory(base, "pcap-");
    }
}
