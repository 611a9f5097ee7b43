package io.github.capturepackets.analysis;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the analyzer should treat as a failure. A rule in {@code failOn} fails the verdict when its count is above
 * its threshold (default 0: any occurrence fails). Built and validated here, in one place.
 *
 * @param failOn                rules that fail the overall verdict
 * @param thresholds            per-rule counts tolerated before a selected rule fails (absent: 0)
 * @param maxRetransmissionRate fail when retransmitted data segments exceed this fraction of all TCP data
 *                              segments (0..1), or a negative value to disable
 * @param dnsTimeout            a DNS query with no answer within this time counts as unanswered
 * @param maxFlows              how many flow summaries a report keeps at most (the most interesting first)
 * @param ignoreInterfaceDuplicates skip a packet seen a moment ago on another interface of the same capture
 *                              (identical but for TTL or hop limit): what {@code tcpdump -i any} on a node records
 *                              twice, on the pod's veth and on the bridge or uplink. Off by default, as in
 *                              Wireshark, which reports such copies as retransmissions; node mode turns it on.
 */
public record AnalysisOptions(Set<Rule> failOn, Map<Rule, Long> thresholds, double maxRetransmissionRate,
        Duration dnsTimeout, int maxFlows, boolean ignoreInterfaceDuplicates) {

    public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_FLOWS = 1000;

    public AnalysisOptions {
        Objects.requireNonNull(failOn, "failOn");
        Objects.requireNonNull(thresholds, "thresholds");
        Objects.requireNonNull(dnsTimeout, "dnsTimeout");
        failOn = failOn.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(Rule.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(failOn));
        for (Map.Entry<Rule, Long> threshold : thresholds.entrySet()) {
            Long value = threshold.getValue();
            if (value == null || value < 0) {
                throw new IllegalArgumentException("Threshold for rule " + threshold.getKey().id()
                        + " must be 0 or more, was " + value + ". Use 0 to fail on the first occurrence.");
            }
        }
        thresholds = thresholds.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(thresholds));
        if (maxRetransmissionRate > 1) {
            throw new IllegalArgumentException("maxRetransmissionRate is a fraction from 0 to 1 (0.02 for 2 %), was "
                    + maxRetransmissionRate + ". Use a negative value to disable it.");
        }
        if (dnsTimeout.isNegative() || dnsTimeout.isZero()) {
            throw new IllegalArgumentException("dnsTimeout must be positive, was " + dnsTimeout);
        }
        if (maxFlows < 0) {
            throw new IllegalArgumentException("maxFlows must be 0 or more, was " + maxFlows);
        }
    }

    /** Fails on nothing: the verdict is PASS or WARN. */
    public static AnalysisOptions defaults() {
        return new AnalysisOptions(Set.of(), Map.of(), -1, DEFAULT_DNS_TIMEOUT, DEFAULT_MAX_FLOWS, false);
    }

    public AnalysisOptions withFailOn(Set<Rule> rules) {
        return new AnalysisOptions(rules, thresholds, maxRetransmissionRate, dnsTimeout, maxFlows,
                ignoreInterfaceDuplicates);
    }

    public AnalysisOptions withThreshold(Rule rule, long threshold) {
        Map<Rule, Long> copy = new EnumMap<>(Rule.class);
        copy.putAll(thresholds);
        copy.put(rule, threshold);
        return new AnalysisOptions(failOn, copy, maxRetransmissionRate, dnsTimeout, maxFlows, ignoreInterfaceDuplicates);
    }

    public AnalysisOptions withMaxRetransmissionRate(double rate) {
        return new AnalysisOptions(failOn, thresholds, rate, dnsTimeout, maxFlows, ignoreInterfaceDuplicates);
    }

    public AnalysisOptions withDnsTimeout(Duration timeout) {
        return new AnalysisOptions(failOn, thresholds, maxRetransmissionRate, timeout, maxFlows,
                ignoreInterfaceDuplicates);
    }

    public AnalysisOptions withMaxFlows(int max) {
        return new AnalysisOptions(failOn, thresholds, maxRetransmissionRate, dnsTimeout, max,
                ignoreInterfaceDuplicates);
    }

    public AnalysisOptions withIgnoreInterfaceDuplicates(boolean ignore) {
        return new AnalysisOptions(failOn, thresholds, maxRetransmissionRate, dnsTimeout, maxFlows, ignore);
    }

    /** The count tolerated for a rule before it fails. */
    public long threshold(Rule rule) {
        return thresholds.getOrDefault(rule, 0L);
    }
}
