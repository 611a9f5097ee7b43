package io.github.capturepackets.e2e;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.github.capturepackets.testing.Needs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The Kubernetes cluster the end-to-end tests run against, resolved in this order:
 *
 * <ol>
 *   <li>a kubeconfig named by system property {@value #KUBECONFIG_PROPERTY} or environment variable
 *       {@code CAPTURE_PACKETS_E2E_KUBECONFIG} (set by {@code cluster/local-cluster.sh run}; any cluster works);
 *   <li>the env file of a running local harness ({@code $CAPTURE_PACKETS_CLUSTER_DIR/env}, default
 *       {@code /tmp/capture-packets-cluster/env}, written by {@code cluster/local-cluster.sh up});
 *   <li>K3s from testcontainers-k3s when a Docker engine is reachable;
 *   <li>otherwise the test is aborted (skipped) with a message naming what is missing.
 * </ol>
 *
 * <p>Every setting is read from a system property first, then from the environment, then from the harness's env
 * file: {@code capturepackets.e2e.image.app} / {@code CAPTURE_PACKETS_E2E_IMAGE_APP} (a busybox-like image: sh,
 * httpd, wget), {@code capturepackets.e2e.image.tcpdump} / {@code CAPTURE_PACKETS_E2E_IMAGE_TCPDUMP} (sh, timeout,
 * tcpdump, tee, cat, sha256sum), {@code capturepackets.e2e.node} / {@code CAPTURE_PACKETS_E2E_NODE} (set when the
 * cluster has no scheduler), {@code capturepackets.e2e.hostReachesPods} /
 * {@code CAPTURE_PACKETS_E2E_HOST_REACHES_PODS} and {@code capturepackets.e2e.expectedVersion} /
 * {@code CAPTURE_PACKETS_E2E_EXPECTED_VERSION} (for example {@code v1.34}).
 */
public final class TestCluster implements AutoCloseable {

  public static final String KUBECONFIG_PROPERTY = "capturepackets.e2e.kubeconfig";
  static final String DEFAULT_APP_IMAGE = "docker.io/library/busybox:1.36.1";
  static final String DEFAULT_TCPDUMP_IMAGE = "docker.io/nicolaka/netshoot:v0.13";
  static final String DEFAULT_K3S_IMAGE = "rancher/k3s:v1.34.1-k3s1";

  private final String description;
  private final KubernetesClient client;
  private final String appImage;
  private final String tcpdumpImage;
  private final Optional<String> nodeName;
  private final boolean hostReachesPods;
  private final Optional<String> expectedVersion;
  private final AutoCloseable owned;
  private final Optional<Path> kubeconfig;

  private TestCluster(String description, KubernetesClient client, Function<String, Optional<String>> settings,
      AutoCloseable owned, Path kubeconfig) {
    this.description = description;
    this.kubeconfig = Optional.ofNullable(kubeconfig);
    this.client = client;
    this.appImage = settings.apply("image.app").orElse(DEFAULT_APP_IMAGE);
    this.tcpdumpImage = settings.apply("image.tcpdump").orElse(DEFAULT_TCPDUMP_IMAGE);
    this.nodeName = settings.apply("node");
    this.hostReachesPods = settings.apply("hostReachesPods").map(Boolean::parseBoolean).orElse(false);
    this.expectedVersion = settings.apply("expectedVersion");
    this.owned = owned;
  }

  /** Resolves the cluster as described in the class comment, or aborts the calling test. */
  public static TestCluster resolve() {
    Map<String, String> harnessEnv = readHarnessEnv();
    Optional<String> explicit = setting("kubeconfig", Map.of());
    if (explicit.isPresent() && !explicit.get().equals(harnessEnv.get("CAPTURE_PACKETS_E2E_KUBECONFIG"))) {
      // Another cluster than the local harness: its image names and node do not apply.
      harnessEnv = Map.of();
    }
    Map<String, String> fileSettings = harnessEnv;
    Function<String, Optional<String>> settings = key -> setting(key, fileSettings);
    Optional<String> kubeconfig = settings.apply("kubeconfig");
    if (kubeconfig.isPresent()) {
      Path path = Path.of(kubeconfig.get());
      if (!Files.isReadable(path)) {
        throw new IllegalStateException("The e2e kubeconfig " + path + " (from " + KUBECONFIG_PROPERTY
            + " / CAPTURE_PACKETS_E2E_KUBECONFIG or " + harnessEnvFile() + ") is not readable. Start the local "
            + "cluster with `cluster/local-cluster.sh up` or point " + KUBECONFIG_PROPERTY + " at a kubeconfig.");
      }
      return fromKubeconfig(path, settings);
    }
    if (dockerAvailable()) {
      return startK3s(settings);
    }
    return Needs.abort("local-cluster", "No Kubernetes cluster for the e2e tests: neither system property "
        + KUBECONFIG_PROPERTY + " nor environment variable CAPTURE_PACKETS_E2E_KUBECONFIG is set, "
        + harnessEnvFile() + " does not exist (the local harness is not up), and no Docker engine was found for "
        + "K3s (testcontainers). Run `cluster/local-cluster.sh run -- ./mvnw -B -Pe2e verify`, or "
        + "`cluster/local-cluster.sh up` first, or pass -D" + KUBECONFIG_PROPERTY + "=/path/to/kubeconfig.");
  }

  private static TestCluster fromKubeconfig(Path path, Function<String, Optional<String>> settings) {
    String yaml;
    try {
      yaml = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read the e2e kubeconfig " + path + ": " + e.getMessage(), e);
    }
    Config config = Config.fromKubeconfig(null, yaml, path.toString());
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return new TestCluster("kubeconfig " + path + " (" + config.getMasterUrl() + ")", client, settings, null, path);
  }

  private static TestCluster startK3s(Function<String, Optional<String>> settings) {
    String image = settings.apply("k3s.image").orElse(DEFAULT_K3S_IMAGE);
    org.testcontainers.k3s.K3sContainer k3s =
        new org.testcontainers.k3s.K3sContainer(org.testcontainers.utility.DockerImageName.parse(image));
    try {
      k3s.start();
      Config config = Config.fromKubeconfig(k3s.getKubeConfigYaml());
      KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
      // K3s has a scheduler and pulls public images; the host cannot reach pod IPs inside the container.
      Function<String, Optional<String>> k3sSettings = key -> switch (key) {
        case "node", "hostReachesPods", "expectedVersion" -> Optional.empty();
        default -> settings.apply(key);
      };
      return new TestCluster("K3s " + image + " (testcontainers)", client, k3sSettings, k3s, null);
    } catch (RuntimeException e) {
      k3s.close();
      throw e;
    }
  }

  private static boolean dockerAvailable() {
    try {
      return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /** Property {@code capturepackets.e2e.KEY}, then env {@code CAPTURE_PACKETS_E2E_KEY}, then the harness env file. */
  static Optional<String> setting(String key, Map<String, String> harnessEnv) {
    String property = System.getProperty("capturepackets.e2e." + key);
    if (property != null && !property.isBlank()) {
      return Optional.of(property.strip());
    }
    String envName = "CAPTURE_PACKETS_E2E_" + key.replaceAll("([a-z])([A-Z])", "$1_$2").replace('.', '_')
        .toUpperCase(Locale.ROOT);
    String env = System.getenv(envName);
    if (env != null && !env.isBlank()) {
      return Optional.of(env.strip());
    }
    return Optional.ofNullable(harnessEnv.get(envName)).filter(v -> !v.isBlank());
  }

  static Path harnessEnvFile() {
    String dir = System.getenv("CAPTURE_PACKETS_CLUSTER_DIR");
    return Path.of(dir == null || dir.isBlank() ? "/tmp/capture-packets-cluster" : dir, "env");
  }

  /** Parses the `export NAME=value` lines the harness writes. */
  static Map<String, String> readHarnessEnv() {
    Path file = harnessEnvFile();
    Map<String, String> values = new HashMap<>();
    if (!Files.isReadable(file)) {
      return values;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String trimmed = line.strip();
        if (trimmed.startsWith("export ")) {
          trimmed = trimmed.substring("export ".length());
        }
        int eq = trimmed.indexOf('=');
        if (eq > 0 && !trimmed.startsWith("#")) {
          values.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read the local cluster's env file " + file + ": " + e.getMessage(), e);
    }
    return values;
  }

  /** Where the cluster came from, for messages. */
  public String description() {
    return description;
  }

  /** The kubeconfig file, when the cluster was named by one (for kubectl). */
  public Optional<Path> kubeconfig() {
    return kubeconfig;
  }

  /** A client with the kubeconfig's (usually administrator) credentials. */
  public KubernetesClient client() {
    return client;
  }

  /** A busybox-like image with sh, httpd and wget. */
  public String appImage() {
    return appImage;
  }

  /** An image with sh, timeout, tcpdump, tee, cat and sha256sum. */
  public String tcpdumpImage() {
    return tcpdumpImage;
  }

  /** The node pods must be bound to (spec.nodeName), when the cluster runs no scheduler. */
  public Optional<String> nodeName() {
    return nodeName;
  }

  /** True when the test JVM can open connections to pod IPs (the local harness's pod bridge). */
  public boolean hostReachesPods() {
    return hostReachesPods;
  }

  /** The major.minor version the cluster was built as ({@code v1.34}), when the harness says so. */
  public Optional<String> expectedVersion() {
    return expectedVersion;
  }

  /** A client for the same API server authenticating with a bearer token only (no client certificate). */
  public KubernetesClient clientWithToken(String token) {
    Config admin = client.getConfiguration();
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(admin.getMasterUrl())
        .withCaCertData(admin.getCaCertData())
        .withCaCertFile(admin.getCaCertFile())
        .withTrustCerts(admin.isTrustCerts())
        .withDisableHostnameVerification(admin.isDisableHostnameVerification())
        .withOauthToken(token)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * Creates a namespace named after {@code owner} with a random suffix and waits for its default ServiceAccount
   * (pods are rejected by admission until the controller manager has created it).
   */
  public TestNamespace createNamespace(String owner) {
    String base = owner.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
    if (base.length() > 40) {
      base = base.substring(0, 40).replaceAll("-+$", "");
    }
    String name = "cp-e2e-" + base + "-" + UUID.randomUUID().toString().substring(0, 6);
    Namespace namespace = new NamespaceBuilder().withNewMetadata().withName(name)
        .addToLabels("app.kubernetes.io/part-of", "capture-packets-e2e").endMetadata().build();
    client.namespaces().resource(namespace).create();
    client.serviceAccounts().inNamespace(name).withName("default")
        .waitUntilCondition(sa -> sa != null, Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS);
    return new TestNamespace(name);
  }

  /** Deletes the namespace (asynchronously: the namespace controller removes its pods). */
  public void deleteNamespace(TestNamespace namespace) {
    client.namespaces().withName(namespace.name()).delete();
  }

  @Override
  public void close() throws Exception {
    Exception failure = null;
    try {
      client.close();
    } catch (RuntimeException e) {
      failure = e;
    }
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
