package io.github.capturepackets.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A rule's details counted in bulk read the same as one by one, the bound on names included")
class RuleTallyTest {

    @Test
    @DisplayName("detail(name, n) per name, in first-seen order, equals n calls of detail(name), with and without overflow")
    void bulkDetailsMatchSingleOnes() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 500; round++) {
            int distinct = random.nextInt(1, 60); // below and above the 20 names a message keeps
            List<String> sequence = new ArrayList<>();
            for (int i = random.nextInt(1, 400); i > 0; i--) {
                sequence.add("name-" + random.nextInt(distinct) + ".svc.cluster.local");
            }
            RuleTally single = new RuleTally(Rule.DNS_NXDOMAIN);
            RuleTally bulk = new RuleTally(Rule.DNS_NXDOMAIN);
            // Some details arrive one at a time before (as during the run), the rest in bulk (as at the end).
            int before = random.nextInt(sequence.size() + 1);
            Map<String, long[]> counted = new LinkedHashMap<>();
            for (int i = 0; i < sequence.size(); i++) {
                single.detail(sequence.get(i));
                if (i < before) {
                    bulk.detail(sequence.get(i));
                } else {
                    counted.computeIfAbsent(sequence.get(i), k -> new long[1])[0]++;
                }
            }
            counted.forEach((name, n) -> bulk.detail(name, n[0]));
            assertThat(bulk.details).isEqualTo(single.details);
            assertThat(bulk.otherDetails).isEqualTo(single.otherDetails);
            assertThat(bulk.toFinding(false).message()).isEqualTo(single.toFinding(false).message());
        }
    }
}
