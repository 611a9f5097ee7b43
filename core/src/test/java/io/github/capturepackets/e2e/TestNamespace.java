package io.github.capturepackets.e2e;

/** A namespace created for one test class by {@link TestClusterExtension} and deleted after it. */
public record TestNamespace(String name) {}
