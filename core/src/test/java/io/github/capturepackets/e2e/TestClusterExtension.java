package io.github.capturepackets.e2e;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

/**
 * Resolves {@link TestCluster} (one per test run, closed by JUnit at the end) and {@link TestNamespace} (one per
 * test class, deleted after the class) as parameters of test and lifecycle methods. Without a cluster the test
 * classes are skipped (disabled) with the message from {@link TestCluster#resolve()}, which reports show.
 */
public final class TestClusterExtension
    implements ExecutionCondition, BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(TestClusterExtension.class);

  /** The outcome of resolving, kept once per run: a cluster, or why there is none. */
  private record Resolution(TestCluster cluster, String unavailable) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Resolution resolution = resolution(context);
    return resolution.unavailable() == null
        ? ConditionEvaluationResult.enabled("e2e cluster: " + resolution.cluster().description())
        : ConditionEvaluationResult.disabled(resolution.unavailable());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    TestCluster cluster = cluster(context);
    TestNamespace namespace = cluster.createNamespace(context.getRequiredTestClass().getSimpleName());
    context.getStore(STORE).put(TestNamespace.class, namespace);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    TestNamespace namespace = context.getStore(STORE).remove(TestNamespace.class, TestNamespace.class);
    if (namespace != null) {
      cluster(context).deleteNamespace(namespace);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestCluster.class || type == TestNamespace.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == TestCluster.class) {
      return cluster(context);
    }
    TestNamespace namespace = context.getStore(STORE).get(TestNamespace.class, TestNamespace.class);
    if (namespace == null) {
      throw new IllegalStateException("No test namespace yet: TestNamespace is available from @BeforeAll on, "
          + "not in constructors of test instances created before it.");
    }
    return namespace;
  }

  private static TestCluster cluster(ExtensionContext context) {
    Resolution resolution = resolution(context);
    if (resolution.cluster() == null) {
      throw new TestAbortedException(resolution.unavailable());
    }
    return resolution.cluster();
  }

  private static Resolution resolution(ExtensionContext context) {
    // The root store closes AutoCloseable values when the whole run ends, so one cluster serves all classes.
    return context.getRoot().getStore(STORE).getOrComputeIfAbsent(Resolution.class, key -> {
      try {
        return new Resolution(TestCluster.resolve(), null);
      } catch (TestAbortedException e) {
        return new Resolution(null, e.getMessage());
      }
    }, Resolution.class);
  }
}
