package io.github.capturepackets.analysis;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** The running aggregate of one rule over the whole analysis: count, first occurrence and a few details. */
final class RuleTally {
    private static final int MAX_DETAILS = 20;

    final Rule rule;
    long count;
    long firstFrame;
    long firstNanos;
    String firstFlow;
    String firstSource;
    /** Detail (a name, a status code, an alert) to count, for the message; bounded. */
    final Map<String, Long> details = new TreeMap<>();
    long otherDetails;

    RuleTally(Rule rule) {
        this.rule = rule;
    }

    /** Counts one occurrence; returns true for the first one, when the caller should set the location. */
    boolean add(long frame, long nanos) {
        if (count++ == 0) {
            firstFrame = frame;
            firstNanos = nanos;
            return true;
        }
        return false;
    }

    /**
     * Counts {@code times} occurrences at once (packets a capture dropped, which are not frames); the first call
     * sets the location.
     */
    void add(long frame, long nanos, long times) {
        if (count == 0) {
            firstFrame = frame;
            firstNanos = nanos;
        }
        count += times;
    }

    void detail(String text) {
        detail(text, 1);
    }

    /** Counts {@code times} occurrences of one detail, as that many calls of {@link #detail(String)} would. */
    void detail(String text, long times) {
        Long count = details.get(text);
        if (count != null) {
            details.put(text, count + times);
        } else if (details.size() < MAX_DETAILS) {
            details.put(text, times);
        } else {
            otherDetails += times;
        }
    }

    Finding toFinding(boolean multipleSources) {
        StringBuilder message = new StringBuilder(rule.description());
        if (!details.isEmpty()) {
            message.append(": ");
            boolean first = true;
            for (Map.Entry<String, Long> e : details.entrySet()) {
                if (!first) {
                    message.append(", ");
                }
                first = false;
                message.append(e.getKey());
                if (e.getValue() > 1) {
                    message.append(" (x").append(e.getValue()).append(')');
                }
            }
            if (otherDetails > 0) {
                message.append(" and ").append(otherDetails).append(" more");
            }
        }
        if (multipleSources && firstSource != null) {
            message.append(". First in ").append(firstSource);
        }
        String flow = firstFlow;
        return new Finding(rule, rule.defaultSeverity(), count, firstFrame, Instant.ofEpochSecond(0, firstNanos), flow,
                message.toString());
    }
}
