package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A flow's findings, kept sparse, give every rule's count, first frame and first time")
class FlowFindingsTest {

    private static final Rule[] RULES = Rule.values();

    @Test
    @DisplayName("rules added in any order and any number match a per-rule table, through reuse and detached copies")
    void sparseMatchesDense() {
        SplittableRandom random = new SplittableRandom(42);
        Flow flow = new Flow();
        for (int round = 0; round < 2_000; round++) {
            flow.reset();
            assertThat(flow.hasFindings()).isFalse();
            long[] count = new long[RULES.length];
            long[] firstFrame = new long[RULES.length];
            long[] firstNanos = new long[RULES.length];
            int additions = random.nextInt(0, 60);
            // Rounds draw from a few rules or from all of them, so arrays both stay small and grow.
            int ruleSpan = random.nextBoolean() ? 3 : RULES.length;
            for (int i = 0; i < additions; i++) {
                Rule rule = RULES[random.nextInt(ruleSpan) * (RULES.length - 1) / Math.max(1, ruleSpan - 1)];
                long frame = random.nextLong(1, 1_000_000);
                long nanos = random.nextLong();
                flow.addFinding(rule, frame, nanos);
                if (count[rule.ordinal()]++ == 0) {
                    firstFrame[rule.ordinal()] = frame;
                    firstNanos[rule.ordinal()] = nanos;
                }
            }
            Flow copy = flow.detachedCopy();
            // The copy is detached: more findings on the flow do not change it.
            flow.addFinding(Rule.TCP_RESET, 1, 1);
            assertMatches(copy, count, firstFrame, firstNanos);
        }
    }

    private static void assertMatches(Flow flow, long[] count, long[] firstFrame, long[] firstNanos) {
        int expectedRules = 0;
        for (Rule rule : RULES) {
            int i = rule.ordinal();
            boolean set = (flow.ruleMask & (1L << i)) != 0;
            assertThat(set).as(rule.id()).isEqualTo(count[i] > 0);
            if (set) {
                expectedRules++;
                int at = flow.findingAt(i);
                assertThat(flow.findingData[at]).as("count of " + rule.id()).isEqualTo(count[i]);
                assertThat(flow.findingData[at + 1]).as("first frame of " + rule.id()).isEqualTo(firstFrame[i]);
                assertThat(flow.findingData[at + 2]).as("first time of " + rule.id()).isEqualTo(firstNanos[i]);
            }
        }
        assertThat(flow.hasFindings()).isEqualTo(expectedRules > 0);
        assertThat(Long.bitCount(flow.ruleMask)).isEqualTo(expectedRules);
    }

    @Test
    @DisplayName("every rule fits the mask")
    void everyRuleFits() {
        Flow flow = new Flow();
        for (Rule rule : RULES) {
            flow.addFinding(rule, rule.ordinal() + 1, rule.ordinal());
        }
        assertThat(Long.bitCount(flow.ruleMask)).isEqualTo(RULES.length);
        for (Rule rule : RULES) {
            assertThat(flow.findingData[flow.findingAt(rule.ordinal()) + 1]).isEqualTo(rule.ordinal() + 1);
        }
    }
}
