package io.github.capturepackets.e2e;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link TestCluster} (one per test run, closed by JUnit at the end) and {@link TestNamespace} (one per
 * test class, deleted after the class) as parameters of test, lifecycle and constructor methods. Without a cluster
 * the tests are skipped with the message from {@link TestCluster#resolve()}.
 */
public final class TestClusterExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(TestClusterExtension.class);

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
          + "not in constructors of per-class test instances created before it.");
    }
    return namespace;
  }

  private static TestCluster cluster(ExtensionContext context) {
    // The root store closes AutoCloseable values when the whole run ends, so one cluster serves all classes.
    return context.getRoot().getStore(STORE)
        .getOrComputeIfAbsent(TestCluster.class, key -> TestCluster.resolve(), TestCluster.class);
  }
}
