package io.github.capturepackets.junit;

import io.github.capturepackets.capture.CaptureException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;

/**
 * Runs {@link CapturePackets}. Stateless: class-level sessions live in the class's store (started by the first
 * test that needs them, after every {@code @BeforeAll} and other extension has run, so a K3s container field is
 * already started), method-level sessions in the method's store, and each test's slice under its unique id.
 * JUnit closes what the stores hold. The outcome is handled in {@link #afterEach}, which sees the test's own
 * exception: a verdict failure thrown there is added by JUnit as suppressed to it, never hiding it.
 */
final class CapturePacketsExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    static final Namespace NAMESPACE = Namespace.create(CapturePacketsExtension.class);
    private static final String LAYOUT = "layout";

    @Override
    public void beforeEach(ExtensionContext context) {
        Config config = config(context);
        List<Sessions.Handle> handles = new ArrayList<>();
        Method method = context.getRequiredTestMethod();
        List<CapturePackets> methodGroups = AnnotationSupport.findRepeatableAnnotations(method, CapturePackets.class);
        List<Class<?>> classes = enclosingClasses(context);
        String className = context.getRequiredTestClass().getName();
        if (!methodGroups.isEmpty()) {
            List<Object> instances = context.getRequiredTestInstances().getAllInstances();
            Sessions sessions = Sessions.start(methodGroups, config, OutputLayout.sanitize(className + "." + method.getName()),
                    classes, instances);
            context.getStore(NAMESPACE).put("sessions:" + context.getUniqueId(), sessions);
            handles.addAll(sessions.handles());
        }
        for (ExtensionContext c = context.getParent().orElse(null); c != null; c = c.getParent().orElse(null)) {
            if (c.getTestClass().isEmpty() || c.getTestMethod().isPresent()) {
                continue;
            }
            ExtensionContext classContext = c;
            Class<?> testClass = classContext.getRequiredTestClass();
            List<CapturePackets> groups = AnnotationSupport.findRepeatableAnnotations(testClass, CapturePackets.class);
            if (groups.isEmpty()) {
                continue;
            }
            boolean suite = "suite".equalsIgnoreCase(context.getConfigurationParameter(GroupSettings.SCOPE)
                    .map(String::trim).orElse("class"));
            // Suite scope: classes whose annotations are equal share one session, kept in the root store until
            // the whole run ends. Annotations compare by their values.
            ExtensionContext owner = suite ? classContext.getRoot() : classContext;
            String key = suite ? "sessions:suite:" + groups : "sessions:" + classContext.getUniqueId();
            Sessions sessions = owner.getStore(NAMESPACE).getOrComputeIfAbsent(key,
                    k -> Sessions.start(groups, config, suite ? "suite" : OutputLayout.sanitize(testClass.getName()),
                            enclosingClassesOf(testClass), List.of()),
                    Sessions.class);
            handles.addAll(sessions.handles());
        }
        if (handles.isEmpty()) {
            return;
        }
        for (Sessions.Handle handle : handles) {
            if (handle.failure() != null) {
                throw startFailure(handle);
            }
        }
        Path directory = config.layout().claim(className, method.getName(), context.getUniqueId());
        TestCapture capture = new TestCapture(directory,
                context.getRequiredTestClass().getSimpleName() + " > " + context.getDisplayName(), handles);
        context.getStore(NAMESPACE).put(testKey(context), capture);
        capture.start();
    }

    private static RuntimeException startFailure(Sessions.Handle handle) {
        String message = "@CapturePackets could not start capturing ('" + handle.settings().request().name() + "', mode "
                + handle.settings().request().mode() + "): " + handle.failure().getMessage();
        if (handle.settings().onStartFailure() == CapturePackets.OnStartFailure.ABORT) {
            return new TestAbortedException(message, handle.failure());
        }
        return new CaptureException(message, handle.failure());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        TestCapture capture = context.getStore(NAMESPACE).remove(testKey(context), TestCapture.class);
        if (capture == null) {
            return;
        }
        Outcome.handle(context, capture);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PacketCapture.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Optional<TestCapture> capture = extensionContext.getTestMethod().isPresent()
                ? Optional.ofNullable(extensionContext.getStore(NAMESPACE).get(testKey(extensionContext), TestCapture.class))
                : Optional.empty();
        return capture.orElseThrow(() -> new ParameterResolutionException("A PacketCapture parameter is available to "
                + "test methods (and @BeforeEach/@AfterEach methods) of tests covered by @CapturePackets; "
                + parameterContext.getDeclaringExecutable() + " is not one"));
    }

    static String testKey(ExtensionContext context) {
        return "test:" + context.getUniqueId();
    }

    static Config config(ExtensionContext context) {
        ExtensionContext root = context.getRoot();
        OutputLayout layout = root.getStore(NAMESPACE).getOrComputeIfAbsent(LAYOUT,
                key -> new OutputLayout(Path.of(root.getConfigurationParameter(GroupSettings.OUTPUT_DIR)
                        .filter(s -> !s.isBlank()).orElse(GroupSettings.DEFAULT_OUTPUT_DIR))),
                OutputLayout.class);
        return new Config(layout, context::getConfigurationParameter);
    }

    private static List<Class<?>> enclosingClasses(ExtensionContext context) {
        return enclosingClassesOf(context.getRequiredTestClass());
    }

    private static List<Class<?>> enclosingClassesOf(Class<?> type) {
        List<Class<?>> classes = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            classes.add(c);
        }
        return classes;
    }
}
