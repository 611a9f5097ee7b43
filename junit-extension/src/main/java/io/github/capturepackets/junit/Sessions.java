package io.github.capturepackets.junit;

import io.github.capturepackets.capture.CaptureEngine;
import io.github.capturepackets.capture.CaptureException;
import io.github.capturepackets.capture.CaptureMode;
import io.github.capturepackets.capture.CaptureSession;
import io.github.capturepackets.capture.ClusterAccess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The capture sessions of one class (or one method), one per {@link CapturePackets} group, kept in that context's
 * JUnit store so JUnit closes them when the class (or method) is done. A group whose capture could not start keeps
 * the engine's exception, so every test of the class reports it without trying again.
 */
final class Sessions implements AutoCloseable {
    private final List<Handle> handles;
    private final List<Path> directories;

    private Sessions(List<Handle> handles, List<Path> directories) {
        this.handles = List.copyOf(handles);
        this.directories = List.copyOf(directories);
    }

    /** One group: its settings and either a running session or the reason it could not start. */
    record Handle(GroupSettings settings, CaptureSession session, RuntimeException failure) {
    }

    List<Handle> handles() {
        return handles;
    }

    /**
     * Starts a session per group. Configuration mistakes throw {@code ExtensionConfigurationException}; a capture
     * that cannot start is remembered in its handle.
     */
    static Sessions start(List<CapturePackets> groups, Config config, String name, List<Class<?>> classes,
            List<Object> instances) {
        List<Handle> handles = new ArrayList<>();
        List<Path> directories = new ArrayList<>();
        Sessions sessions = new Sessions(handles, directories);
        try {
            for (int i = 0; i < groups.size(); i++) {
                Path directory = config.layout().base().resolve(".sessions").resolve(UUID.randomUUID().toString());
                directories.add(directory);
                GroupSettings settings = GroupSettings.resolve(groups.get(i), config.parameters(),
                        groups.size() == 1 ? name : name + "-" + (i + 1), directory);
                ClusterAccess access = settings.request().mode() == CaptureMode.LOCAL ? ClusterAccess.defaults()
                        : ClusterAccessResolver.resolve(settings, classes, instances, directory);
                try {
                    handles.add(new Handle(settings, CaptureEngine.start(settings.request(), access), null));
                } catch (CaptureException | UnsupportedOperationException e) {
                    handles.add(new Handle(settings, null, e));
                }
            }
        } catch (RuntimeException e) {
            try {
                sessions.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        return new Sessions(handles, directories);
    }

    /** Stops every capture, last started first; later errors are added to the first as suppressed. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = handles.size() - 1; i >= 0; i--) {
            CaptureSession session = handles.get(i).session();
            if (session == null) {
                continue;
            }
            try {
                session.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        for (Path directory : directories) {
            try {
                OutputLayout.deleteRecursively(directory);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
