package io.github.capturepackets.junit;

import java.util.Optional;
import java.util.function.Function;

/** What the extension reads from the test run: the output layout and the configuration parameters. */
record Config(OutputLayout layout, Function<String, Optional<String>> parameters) {
}
