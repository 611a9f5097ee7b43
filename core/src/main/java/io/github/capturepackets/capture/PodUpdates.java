package io.github.capturepackets.capture;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The target namespaces' pods as one informer per namespace (a list, then a watch) reports them, so that waiting
 * for twenty capture containers to run costs one watch instead of twenty pods polled four times a second (which on
 * a small node competed with the kubelet for the CPU, and added up to a poll interval to each start).
 * Callers fall back to polling while an informer is not (or could not be) started.
 */
final class PodUpdates implements AutoCloseable {
    private final KubernetesClient client;
    private final Map<String, SharedIndexInformer<Pod>> informers = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> synced = new ConcurrentHashMap<>();
    /** Per "namespace/pod": how many updates arrived, so a waiter knows whether something changed. */
    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    PodUpdates(KubernetesClient client) {
        this.client = client;
    }

    /** Starts following a namespace (once); does not wait for the initial list. */
    void follow(String namespace) {
        synced.computeIfAbsent(namespace, ns -> {
            CompletableFuture<Void> ready = new CompletableFuture<>();
            if (closed) {
                ready.completeExceptionally(new IllegalStateException("closed"));
                return ready;
            }
            try {
                SharedIndexInformer<Pod> informer = client.pods().inNamespace(ns).runnableInformer(0);
                informer.addEventHandler(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        changed(pod);
                    }

                    @Override
                    public void onUpdate(Pod old, Pod pod) {
                        changed(pod);
                    }

                    @Override
                    public void onDelete(Pod pod, boolean finalStateUnknown) {
                        changed(pod);
                    }
                });
                informers.put(ns, informer);
                informer.start().whenComplete((ok, failure) -> {
                    if (failure == null) {
                        ready.complete(null);
                    } else {
                        // No list/watch here (or the server refused it): the callers poll instead.
                        informer.stop();
                        ready.completeExceptionally(failure);
                    }
                });
            } catch (RuntimeException e) {
                ready.completeExceptionally(e);
            }
            return ready;
        });
    }

    /** True when the namespace's informer has its initial list and is watching. */
    boolean following(String namespace) {
        CompletableFuture<Void> ready = synced.get(namespace);
        SharedIndexInformer<Pod> informer = informers.get(namespace);
        return !closed && ready != null && ready.isDone() && !ready.isCompletedExceptionally() && informer != null
                && informer.isRunning();
    }

    /** The number of updates seen for the pod so far. */
    long version(String namespace, String pod) {
        return versions.getOrDefault(namespace + "/" + pod, 0L);
    }

    /** The pod as last reported, or null when unknown or deleted. */
    Pod latest(String namespace, String pod) {
        SharedIndexInformer<Pod> informer = informers.get(namespace);
        return informer == null ? null : informer.getStore().getByKey(namespace + "/" + pod);
    }

    /** Waits until the pod has an update newer than {@code seen}; false when none came within the time. */
    boolean awaitChange(String namespace, String pod, long seen, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        synchronized (this) {
            while (version(namespace, pod) <= seen) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0 || closed) {
                    return false;
                }
                wait(left);
            }
            return true;
        }
    }

    private void changed(Pod pod) {
        if (pod == null || pod.getMetadata() == null) {
            return;
        }
        versions.merge(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), 1L, Long::sum);
        synchronized (this) {
            notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (SharedIndexInformer<Pod> informer : informers.values()) {
            try {
                informer.stop();
            } catch (RuntimeException e) {
                // Stopping an informer only ends following; nothing is lost.
            }
        }
        synchronized (this) {
            notifyAll();
        }
    }
}
