package io.github.capturepackets.analysis;

import java.util.Comparator;

/**
 * Orders of findings, most severe first: a class rather than {@code Comparator.comparing(Finding::severity)}, whose
 * lambdas would link the method-handle machinery at the end of every run.
 */
final class FindingOrder implements Comparator<Finding> {
    /** Most severe first. */
    static final FindingOrder SEVERITY = new FindingOrder(false);
    /** Most severe first, then the most frequent. */
    static final FindingOrder SEVERITY_THEN_COUNT = new FindingOrder(true);

    private final boolean thenCount;

    private FindingOrder(boolean thenCount) {
        this.thenCount = thenCount;
    }

    @Override
    public int compare(Finding a, Finding b) {
        int c = b.severity().compareTo(a.severity());
        return c != 0 || !thenCount ? c : Long.compare(b.count(), a.count());
    }
}
