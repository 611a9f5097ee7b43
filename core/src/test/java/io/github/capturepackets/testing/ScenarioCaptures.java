package io.github.capturepackets.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Real captures of real network faults, made by {@code core/src/test/scenarios/make-captures.sh} with real
 * tcpdump in network namespaces the script creates (see the script for what each scenario contains).
 *
 * <p>The script runs at most once per JVM; its output is kept in {@code core/target/scenario-captures/} and
 * reused by later JVMs until the scripts change (their SHA-256 is stored with the captures) or the system
 * property {@code capturepackets.scenarios.regenerate=true} is set. A file lock keeps parallel JVMs from
 * generating twice. When the script cannot run here (not root, tcpdump/nft/ip/python3/openssl missing)
 * {@link #get()} aborts the calling test with the script's reason, so the test is reported as skipped.
 *
 * <pre>{@code
 * ScenarioCaptures.Capture dns = ScenarioCaptures.get().capture(Scenario.DNS, View.LINUX_SLL2);
 * long nxdomain = Tshark.count(dns.path(), OracleFilter.DNS_NXDOMAIN.filter(), dns.decodeAs());
 * }</pre>
 */
public final class ScenarioCaptures {

  /** What the script captures; the directory names are the script's. */
  public enum Scenario {
    /** 5 refused connects (3 IPv4, 2 IPv6) and 3 connections reset mid-response by the server: 8 RSTs. */
    TCP_RESETS("tcp-resets"),
    /** Bulk HTTP on 8080 both ways (IPv4, IPv6) through ~4 % random loss each way in the router. */
    TCP_LOSS("tcp-loss"),
    /** 2 connection attempts whose SYNs the router drops (IPv4, IPv6), 1 connection open at the end. */
    TCP_UNANSWERED("tcp-unanswered"),
    /** A receiver that stalls with a tiny buffer (zero window, probes), then drains. */
    TCP_ZERO_WINDOW("tcp-zero-window"),
    /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, unanswered, slow, IPv6, TCP, Kubernetes search expansion. */
    DNS("dns"),
    /** Keep-alive HTTP/1.1 on 8080 and 9090 with 200, 404, 500, 503 and delayed answers. */
    HTTP("http", "tcp.port==9090,http"),
    /** Unknown-CA and protocol-version alerts; successful handshakes with SNI on 443 and 8443. */
    TLS("tls", "tcp.port==8443,tls"),
    /** Port unreachable (IPv4, IPv6), network unreachable and time exceeded from the router. */
    ICMP("icmp"),
    /** IPv6-only mix: HTTP keep-alive, bulk, refused, reset, echo, TLS. */
    IPV6("ipv6", "tcp.port==9090,http", "tcp.port==8443,tls");

    private final String directory;
    private final List<String> decodeAs;

    Scenario(String directory, String... decodeAs) {
      this.directory = directory;
      this.decodeAs = List.of(decodeAs);
    }

    /** The scenario's directory under the capture root. */
    public String directory() {
      return directory;
    }

    /** tshark {@code -d} values this scenario needs (HTTP and TLS on ports tshark does not know). */
    public List<String> decodeAs() {
      return decodeAs;
    }
  }

  /** Where and how a scenario was captured. */
  public enum View {
    /** On the client's veth: Ethernet (link type 1). */
    ETHERNET("ethernet", 1),
    /** {@code tcpdump -i any} in the client namespace: LINUX_SLL2 (276). */
    LINUX_SLL2("linux_sll2", 276),
    /** {@code tcpdump -i any -y LINUX_SLL} in the client namespace: LINUX_SLL (113). */
    LINUX_SLL("linux_sll", 113),
    /** On the server's veth (the real sender's view of downloads): Ethernet (1). */
    SERVER_ETHERNET("server-ethernet", 1);

    private final String file;
    private final int linkType;

    View(String file, int linkType) {
      this.file = file;
      this.linkType = linkType;
    }

    /** The file name without {@code .pcap}. */
    public String file() {
      return file;
    }

    /** The pcap link type (DLT) tcpdump writes for this view. */
    public int linkType() {
      return linkType;
    }

    /** The three client-side views of the same packets, one per link type. */
    public static List<View> clientViews() {
      return List.of(ETHERNET, LINUX_SLL2, LINUX_SLL);
    }
  }

  /** One capture file. {@code packets} is what tcpdump reported capturing. */
  public record Capture(Scenario scenario, View view, Path path, int linkType, long packets) {
    /** tshark {@code -d} values for this capture. */
    public String[] decodeAs() {
      return scenario.decodeAs().toArray(String[]::new);
    }

    @Override
    public String toString() {
      return scenario.directory() + "/" + view.file();
    }
  }

  private static final String SCRIPT = "make-captures.sh";
  private static final long SCRIPT_TIMEOUT_SECONDS = 300;
  private static final int SKIP_STATUS = 77;

  private static ScenarioCaptures instance;
  private static String skipReason;
  private static RuntimeException failure;

  private final Path root;
  private final Map<Scenario, Map<View, Capture>> captures;

  private ScenarioCaptures(Path root, Map<Scenario, Map<View, Capture>> captures) {
    this.root = root;
    this.captures = captures;
  }

  /**
   * The captures, generating them on first use in this JVM. Aborts the calling test (JUnit assumption) when
   * they cannot be made here; throws when the script itself fails.
   */
  public static synchronized ScenarioCaptures get() {
    if (instance == null && skipReason == null && failure == null) {
      try {
        instance = load();
      } catch (SkipException e) {
        skipReason = e.getMessage();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    Assumptions.assumeTrue(skipReason == null, () -> skipReason);
    if (failure != null) {
      throw new IllegalStateException("making the scenario captures failed", failure);
    }
    return instance;
  }

  /** The directory holding {@code <scenario>/<view>.pcap} and {@code manifest.tsv}. */
  public Path directory() {
    return root;
  }

  /** One capture. */
  public Capture capture(Scenario scenario, View view) {
    return captures.get(scenario).get(view);
  }

  /** The path of one capture. */
  public Path path(Scenario scenario, View view) {
    return capture(scenario, view).path();
  }

  /** Every view of one scenario. */
  public List<Capture> captures(Scenario scenario) {
    return List.copyOf(captures.get(scenario).values());
  }

  /** Every capture of every scenario. */
  public List<Capture> all() {
    return captures.values().stream().flatMap(m -> m.values().stream()).toList();
  }

  // ------------------------------------------------------------------ generation

  private static ScenarioCaptures load() {
    Path scriptDir = findScriptDir();
    Path target = scriptDir.getParent().getParent().getParent().resolve("target");
    Path root = target.resolve("scenario-captures");
    String hash = hashScripts(scriptDir);
    boolean regenerate = Boolean.getBoolean("capturepackets.scenarios.regenerate");
    try {
      Files.createDirectories(target);
      try (FileChannel channel = FileChannel.open(target.resolve("scenario-captures.lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        if (regenerate || !hash.equals(storedHash(root))) {
          generate(scriptDir.resolve(SCRIPT), target, root);
          Files.writeString(root.resolve("scripts.sha256"), hash + "\n", StandardCharsets.UTF_8);
        }
      }
      return new ScenarioCaptures(root, readManifest(root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare scenario captures in " + root, e);
    }
  }

  private static void generate(Path script, Path target, Path root) throws IOException {
    Path staging = target.resolve("scenario-captures.tmp");
    Path log = target.resolve("scenario-captures.log");
    deleteTree(staging);
    Process process = new ProcessBuilder("bash", script.toString(), staging.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    try {
      if (!process.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroy(); // SIGTERM: the script's trap removes its namespaces
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
        throw new IllegalStateException(
            SCRIPT + " did not finish in " + SCRIPT_TIMEOUT_SECONDS + " s; log " + log + ":\n" + tail(log));
      }
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making scenario captures", e);
    }
    int status = process.exitValue();
    if (status == SKIP_STATUS) {
      throw new SkipException(skipReason(log));
    }
    if (status != 0) {
      throw new IllegalStateException(SCRIPT + " failed with status " + status + "; log " + log + ":\n" + tail(log));
    }
    deleteTree(root);
    Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
  }

  private static Map<Scenario, Map<View, Capture>> readManifest(Path root) throws IOException {
    Map<Scenario, Map<View, Capture>> result = new EnumMap<>(Scenario.class);
    List<String> lines = Files.readAllLines(root.resolve("manifest.tsv"), StandardCharsets.UTF_8);
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t");
      Scenario scenario = scenarioNamed(f[0]);
      View view = viewNamed(f[1]);
      Capture capture = new Capture(scenario, view, root.resolve(f[2]), Integer.parseInt(f[3]),
          Long.parseLong(f[4]));
      if (!Files.isRegularFile(capture.path())) {
        throw new IllegalStateException("manifest names a missing capture: " + capture.path());
      }
      result.computeIfAbsent(scenario, s -> new EnumMap<>(View.class)).put(view, capture);
    }
    for (Scenario scenario : Scenario.values()) {
      for (View view : View.values()) {
        if (!result.getOrDefault(scenario, Map.of()).containsKey(view)) {
          throw new IllegalStateException("no " + scenario + "/" + view + " capture in " + root
              + "; delete the directory (or set -Dcapturepackets.scenarios.regenerate=true) to remake it");
        }
      }
    }
    return result;
  }

  private static Scenario scenarioNamed(String directory) {
    for (Scenario scenario : Scenario.values()) {
      if (scenario.directory().equals(directory)) {
        return scenario;
      }
    }
    throw new IllegalStateException("the script made an unknown scenario '" + directory
        + "': add it to ScenarioCaptures.Scenario");
  }

  private static View viewNamed(String file) {
    for (View view : View.values()) {
      if (view.file().equals(file)) {
        return view;
      }
    }
    throw new IllegalStateException("the script made an unknown view '" + file + "': add it to ScenarioCaptures.View");
  }

  /** core/src/test/scenarios, found from the working directory (a module directory or the repository root). */
  private static Path findScriptDir() {
    Path dir = Paths.get("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      Path candidate = d.resolve("core/src/test/scenarios");
      if (Files.isRegularFile(candidate.resolve(SCRIPT))) {
        return candidate;
      }
      if (d.getFileName() != null && d.getFileName().toString().equals("core")
          && Files.isRegularFile(d.resolve("src/test/scenarios").resolve(SCRIPT))) {
        return d.resolve("src/test/scenarios");
      }
    }
    throw new IllegalStateException("cannot find core/src/test/scenarios/" + SCRIPT + " above " + dir);
  }

  private static String hashScripts(Path scriptDir) {
    try (Stream<Path> files = Files.list(scriptDir)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      // The scripts only: editing the README must not remake the captures.
      List<Path> scripts = files.filter(Files::isRegularFile)
          .filter(f -> f.toString().endsWith(".sh") || f.toString().endsWith(".py"))
          .sorted()
          .toList();
      for (Path file : scripts) {
        digest.update(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        digest.update(Files.readAllBytes(file));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + scriptDir, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String storedHash(Path root) throws IOException {
    Path file = root.resolve("scripts.sha256");
    return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
  }

  /**
   * The script's last line, "needs WHAT: WHY" (its skip function writes it): the reason as {@link Needs} words it,
   * so the summary can attribute the skip.
   */
  private static String skipReason(Path log) {
    String tail = tail(log).strip();
    String last = tail.substring(tail.lastIndexOf('\n') + 1);
    return last.startsWith(Needs.PREFIX) ? last : Needs.reason("scenario-captures", "the script skipped: " + tail);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The script exited with 77: it cannot run on this machine. */
  private static final class SkipException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SkipException(String message) {
      super(message);
    }
  }
}
