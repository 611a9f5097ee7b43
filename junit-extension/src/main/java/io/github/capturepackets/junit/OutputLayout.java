package io.github.capturepackets.junit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where each test's files go: {@code <outputDir>/<class>/<method>}, names sanitized. One instance per test run (in
 * the root store) remembers which directory belongs to which test, so parallel tests, overloads and repeated
 * invocations never share a directory: a clash gets a {@code -2}, {@code -3} suffix.
 */
final class OutputLayout {
    private static final Pattern LAST_SEGMENT = Pattern.compile("\\[([^:\\]]+):([^\\]]*)\\]$");
    private static final int MAX_NAME = 100;

    private final Path base;
    private final Map<Path, String> owners = new ConcurrentHashMap<>();

    OutputLayout(Path base) {
        this.base = base.toAbsolutePath().normalize();
    }

    Path base() {
        return base;
    }

    /**
     * Claims a fresh directory for a test and empties what an earlier build left there.
     *
     * @param className  the test class's binary name ({@code com.example.ShopIT$Checkout})
     * @param methodName the test method's name
     * @param uniqueId   the test's JUnit unique id; an invocation index in its last segment is appended
     */
    Path claim(String className, String methodName, String uniqueId) {
        String leaf = methodName;
        Matcher matcher = LAST_SEGMENT.matcher(uniqueId);
        if (matcher.find() && !matcher.group(1).equals("method")) {
            leaf = leaf + "[" + matcher.group(2).replace("#", "") + "]";
        }
        Path classDir = base.resolve(sanitize(className));
        String name = sanitize(leaf);
        Path dir = classDir.resolve(name);
        for (int n = 2; owners.putIfAbsent(dir, uniqueId) != null; n++) {
            dir = classDir.resolve(name + "-" + n);
        }
        deleteRecursively(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the capture directory " + dir
                    + "; check that the output directory (capturepackets.outputDir) is writable", e);
        }
        return dir;
    }

    /** Keeps letters, digits and {@code . _ - $ [ ]}; everything else becomes {@code _}. */
    static String sanitize(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length() && out.length() < MAX_NAME; i++) {
            char c = name.charAt(i);
            boolean safe = c < 128 && (Character.isLetterOrDigit(c) || ".-_$[]".indexOf(c) >= 0);
            out.append(safe ? c : '_');
        }
        String result = out.toString();
        return result.isEmpty() || result.chars().allMatch(c -> c == '.') ? "_" : result;
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // Already gone.
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + dir, e);
        }
    }
}
