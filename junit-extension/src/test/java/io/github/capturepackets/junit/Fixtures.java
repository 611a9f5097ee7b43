package io.github.capturepackets.junit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.platform.engine.OutputDirectoryCreator;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/** Runs fixture classes on the real Jupiter engine with the output going to a test's temporary directory. */
final class Fixtures {
    private Fixtures() {
    }

    static EngineExecutionResults run(Path outputDir, Class<?> fixture, Map<String, String> extra) {
        Map<String, String> parameters = new HashMap<>();
        parameters.put("capturepackets.outputDir", outputDir.resolve("capture-packets").toString());
        parameters.put("capturepackets.filter", LocalHttp.FILTER);
        parameters.put("capturepackets.stdoutAttachments", "false");
        parameters.putAll(extra);
        return EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(fixture))
                .configurationParameters(parameters)
                .outputDirectoryCreator(new Creator(outputDir.resolve("junit")))
                .execute();
    }

    static EngineExecutionResults run(Path outputDir, Class<?> fixture) {
        return run(outputDir, fixture, Map.of());
    }

    static Path testDir(Path outputDir, Class<?> fixture, String method) {
        return outputDir.resolve("capture-packets").resolve(fixture.getName()).resolve(method);
    }

    static OutputDirectoryCreator creator(Path root) {
        return new Creator(root);
    }

    /** The tcpdump processes this JVM runs right now (the local mode's captures). */
    static Set<Long> tcpdumpPids() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("tcpdump")).orElse(false))
                .map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /** Per fixture: what each test saw, for assertions after the run. */
    static final Map<String, Set<Long>> SEEN = new ConcurrentHashMap<>();

    private record Creator(Path root) implements OutputDirectoryCreator {
        @Override
        public Path getRootDirectory() {
            return root;
        }

        @Override
        public Path createOutputDirectory(TestDescriptor descriptor) throws IOException {
            String name = Integer.toHexString(descriptor.getUniqueId().toString().hashCode());
            return Files.createDirectories(root.resolve(name));
        }
    }
}
