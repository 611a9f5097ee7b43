package io.github.capturepackets.analysis;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Open-addressing hash table of live flows, keyed by capture context, protocol and both endpoints in either
 * order (so both directions of a conversation find the same flow). Lookups allocate nothing; flows removed from
 * the table go to a free list and are reused.
 */
final class FlowTable {
    private Flow[] slots;
    /**
     * When each live flow, by slot, becomes due for the periodic sweep for idle flows (its last packet's time plus
     * the shortest idleness that can retire it): the sweep reads this array instead of every flow object, and
     * visits only the flows that may be retired.
     */
    private long[] due;
    /** Slot of the flow the last {@link #find} or {@link #create} returned, for {@link #due}. */
    private int foundSlot;
    private int size;
    private final ArrayDeque<Flow> free = new ArrayDeque<>();
    /** Direction of the packet passed to the last {@link #find} or {@link #create}: 0 from side a, 1 from side b. */
    int direction;

    FlowTable(int initialCapacity) {
        int capacity = Integer.highestOneBit(Math.max(16, initialCapacity - 1)) << 1;
        slots = new Flow[capacity];
        due = new long[capacity];
    }

    int size() {
        return size;
    }

    static int hash(int context, int protocol, long srcHi, long srcLo, long dstHi, long dstLo, int srcPort,
            int dstPort) {
        // Symmetric in the two endpoints, so both directions hash alike.
        long a = mix(srcHi * 31 + srcLo) + srcPort;
        long b = mix(dstHi * 31 + dstLo) + dstPort;
        long h = (a ^ b) * 0x9E3779B97F4A7C15L + (a + b) + context * 0x632BE59BD9B4E019L + protocol;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    private static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xff51afd7ed558ccdL;
        return x ^ (x >>> 33);
    }

    Flow find(int hash, int context, int protocol, long srcHi, long srcLo, long dstHi, long dstLo, int srcPort,
            int dstPort) {
        int mask = slots.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            Flow f = slots[i];
            if (f == null) {
                return null;
            }
            if (f.hash == hash && f.context == context && f.protocol == protocol) {
                if (f.aLo == srcLo && f.aHi == srcHi && f.bLo == dstLo && f.bHi == dstHi && f.aPort == srcPort
                        && f.bPort == dstPort) {
                    direction = 0;
                    foundSlot = i;
                    return f;
                }
                if (f.aLo == dstLo && f.aHi == dstHi && f.bLo == srcLo && f.bHi == srcHi && f.aPort == dstPort
                        && f.bPort == srcPort) {
                    direction = 1;
                    foundSlot = i;
                    return f;
                }
            }
        }
    }

    /** Adds a new flow whose side a is the packet's source; the caller must have checked it is absent. */
    Flow create(int hash, int context, int protocol, long srcHi, long srcLo, long dstHi, long dstLo, int srcPort,
            int dstPort) {
        if ((size + 1) * 2 > slots.length) {
            grow();
        }
        Flow f = free.isEmpty() ? new Flow() : free.pop();
        f.reset();
        f.hash = hash;
        f.context = context;
        f.protocol = protocol;
        f.aHi = srcHi;
        f.aLo = srcLo;
        f.bHi = dstHi;
        f.bLo = dstLo;
        f.aPort = srcPort;
        f.bPort = dstPort;
        foundSlot = insert(f);
        size++;
        direction = 0;
        return f;
    }

    /** Sets when the flow the last find or create returned becomes due for the sweep. */
    void due(long nanos) {
        due[foundSlot] = nanos;
    }

    private int insert(Flow f) {
        int mask = slots.length - 1;
        int i = f.hash & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = f;
        return i;
    }

    private void grow() {
        Flow[] old = slots;
        long[] oldDue = due;
        slots = new Flow[old.length * 2];
        due = new long[old.length * 2];
        for (int i = 0; i < old.length; i++) {
            if (old[i] != null) {
                due[insert(old[i])] = oldDue[i];
            }
        }
    }

    /** Removes the flow (found by identity) and keeps it for reuse. */
    void remove(Flow flow) {
        int mask = slots.length - 1;
        int i = flow.hash & mask;
        while (slots[i] != flow) {
            if (slots[i] == null) {
                return;
            }
            i = (i + 1) & mask;
        }
        // Backward-shift deletion keeps probe chains intact without tombstones.
        int hole = i;
        for (int j = (hole + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
            int home = slots[j].hash & mask;
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                slots[hole] = slots[j];
                due[hole] = due[j];
                hole = j;
            }
        }
        slots[hole] = null;
        size--;
        if (free.size() < 4096) {
            free.push(flow);
        }
    }

    /** Removes every flow (they are not kept for reuse). */
    void clear() {
        Arrays.fill(slots, null);
        size = 0;
    }

    /**
     * Calls the action, in the order of {@link #forEach}, for every live flow {@linkplain #due due} before
     * {@code now} (the action must not modify the table).
     */
    void forEachDue(long now, Consumer<Flow> action) {
        Flow[] s = slots;
        long[] d = due;
        for (int i = 0; i < s.length; i++) {
            if (now - d[i] > 0 && s[i] != null) {
                action.accept(s[i]);
            }
        }
    }

    /** Calls the action for every live flow (the action must not modify the table). */
    void forEach(Consumer<Flow> action) {
        for (Flow f : slots) {
            if (f != null) {
                action.accept(f);
            }
        }
    }
}
