package io.github.capturepackets.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * tshark as the correctness oracle: which frames of a capture match a display filter.
 *
 * <p>Runs {@code tshark -n -2 -r FILE -Y FILTER -T fields -e frame.number [-d DECODE_AS]...} with an empty
 * configuration directory, so a user's Wireshark preferences never change the answer. Two passes ({@code -2})
 * let filters see what only later frames reveal ({@code dns.response_in}, {@code tcp.completeness}).
 * {@code decodeAs} entries are tshark {@code -d} values such as {@code "tcp.port==9090,http"}: tshark only
 * dissects HTTP and TLS on their registered ports.
 *
 * <p>A test calling this is skipped (not failed) when tshark is not installed.
 */
public final class Tshark {

  private static final long TIMEOUT_SECONDS = 300;

  /**
   * The preference that makes tshark reassemble TCP data the way a receiver does: segments that arrive beyond a
   * hole are kept until the hole is filled (by default they are not, and a message whose segments arrived out of
   * order is never dissected).
   */
  public static final String REASSEMBLE_OUT_OF_ORDER = "tcp.reassemble_out_of_order:TRUE";

  private Tshark() {}

  /** Number of frames of {@code capture} matching {@code displayFilter}. */
  public static long count(Path capture, String displayFilter, String... decodeAs) {
    return frames(capture, displayFilter, decodeAs).size();
  }

  /** Numbers (1-based, as tshark shows them) of the frames matching {@code displayFilter}, ascending. */
  public static List<Long> frames(Path capture, String displayFilter, String... decodeAs) {
    List<Long> frames = new ArrayList<>();
    for (List<String> row : fields(capture, displayFilter, List.of("frame.number"), decodeAs)) {
      frames.add(Long.parseLong(row.get(0)));
    }
    return frames;
  }

  /**
   * Frame counts for several display filters in one tshark pass ({@code -q -z io,stat,0,F1,F2,...}),
   * keyed by filter in the given order. Much cheaper than one {@link #count} per filter. Filters must not
   * contain commas (io,stat separates them with commas).
   */
  public static Map<String, Long> counts(Path capture, Collection<String> displayFilters, String... decodeAs) {
    assumeAvailable();
    requireReadable(capture);
    List<String> filters = List.copyOf(new LinkedHashSet<>(displayFilters));
    if (filters.isEmpty()) {
      return Map.of();
    }
    StringBuilder stat = new StringBuilder("io,stat,0");
    for (String filter : filters) {
      if (filter.contains(",")) {
        throw new IllegalArgumentException("a filter for counts() cannot contain a comma; use count(): " + filter);
      }
      stat.append(',').append(filter);
    }
    List<String> command = new ArrayList<>(List.of("tshark", "-n", "-2", "-q", "-r", capture.toString()));
    addDecodeAs(command, decodeAs);
    command.addAll(List.of("-z", stat.toString()));
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String filter : filters) {
      counts.put(filter, 0L);
    }
    for (String line : run(command)) {
      if (line.contains("<>")) {
        // | 0.000 <> 1.728 |     36 |  3177 |     19 |  1731 |   (frames, bytes) per filter
        String[] cells = line.split("\\|");
        for (int i = 0; i < filters.size(); i++) {
          counts.put(filters.get(i), Long.parseLong(cells[2 + 2 * i].trim()));
        }
      }
    }
    return counts;
  }

  /**
   * The given fields of every frame matching {@code displayFilter}, one row per frame, one column per field.
   * A field absent from a frame is an empty string; a field present several times is comma-separated.
   */
  public static List<List<String>> fields(
      Path capture, String displayFilter, List<String> fields, String... decodeAs) {
    return fields(capture, displayFilter, fields, List.of(), decodeAs);
  }

  /**
   * As {@link #fields(Path, String, List, String...)}, with tshark preferences set ({@code -o NAME:VALUE}), for
   * example {@link #REASSEMBLE_OUT_OF_ORDER}.
   */
  public static List<List<String>> fields(Path capture, String displayFilter, List<String> fields,
      List<String> preferences, String... decodeAs) {
    assumeAvailable();
    requireReadable(capture);
    List<String> command = new ArrayList<>(List.of("tshark", "-n", "-2", "-r", capture.toString()));
    for (String preference : preferences) {
      command.add("-o");
      command.add(preference);
    }
    addDecodeAs(command, decodeAs);
    command.addAll(List.of("-Y", displayFilter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"));
    for (String field : fields) {
      command.add("-e");
      command.add(field);
    }
    List<List<String>> rows = new ArrayList<>();
    for (String line : run(command)) {
      if (!line.isEmpty()) {
        List<String> row = new ArrayList<>(Arrays.asList(line.split("\t", -1)));
        while (row.size() < fields.size()) {
          row.add("");
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** tshark's version line, for example {@code "TShark (Wireshark) 4.0.17"}. */
  public static String version() {
    assumeAvailable();
    return run(List.of("tshark", "--version")).get(0).trim();
  }

  /** Whether tshark can be started from the PATH. */
  public static boolean available() {
    return Holder.AVAILABLE;
  }

  /** Aborts (skips) the calling test when tshark is missing. */
  public static void assumeAvailable() {
    Needs.that(available(), "tshark",
        "tshark is not installed, so there is no oracle to compare with; install it with: "
            + "echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections"
            + " && apt-get install -y tshark");
  }

  private static void requireReadable(Path capture) {
    if (!Files.isReadable(capture)) {
      throw new IllegalArgumentException("capture not readable: " + capture);
    }
  }

  private static void addDecodeAs(List<String> command, String... decodeAs) {
    for (String decode : decodeAs) {
      command.add("-d");
      command.add(decode);
    }
  }

  private static List<String> run(List<String> command) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("tshark-", ".out");
      err = Files.createTempFile("tshark-", ".err");
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      builder.environment().put("WIRESHARK_CONFIG_DIR", Holder.CONFIG_DIR.toString());
      Process process = builder.start();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("tshark did not finish in " + TIMEOUT_SECONDS + " s: " + command);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException("tshark failed (exit " + process.exitValue() + "): " + command + "\n"
            + Files.readString(err, StandardCharsets.UTF_8).strip());
      }
      return Files.readAllLines(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a leftover temporary file is harmless
      }
    }
  }

  /** Lazily probes tshark once and makes an empty configuration directory for it. */
  private static final class Holder {
    static final boolean AVAILABLE = probe();
    static final Path CONFIG_DIR = emptyConfigDir();

    private static boolean probe() {
      try {
        Process process = new ProcessBuilder("tshark", "--version")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
        return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    private static Path emptyConfigDir() {
      try {
        Path dir = Files.createTempDirectory("tshark-config-");
        dir.toFile().deleteOnExit();
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a configuration directory for tshark", e);
      }
    }
  }
}
