package io.github.capturepackets.analysis;

import io.github.capturepackets.pcap.Packet;
import io.github.capturepackets.pcap.PacketHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The streaming analysis: one pass over the packets of one or more captures, in frame order. The per-packet path
 * touches only primitives in {@link Flow}s found through {@link FlowTable}; application parsing runs only on
 * payloads whose first bytes look like DNS, HTTP or TLS; Strings are made only for findings and summaries.
 * Finished flows leave the table for a bounded list of summaries, so memory stays flat.
 */
final class AnalysisEngine implements PacketHandler {
    static final int SWEEP_INTERVAL = 1 << 16;
    static final int MAX_LIVE_FLOWS = 1 << 18;
    static final long CLOSED_IDLE_NANOS = 10_000_000_000L;
    static final long DATAGRAM_IDLE_NANOS = 120_000_000_000L;
    static final int MAX_PENDING_DNS = 1 << 16;
    static final int MAX_DNS_NAMES = 1 << 16;

    private static final int SKIP_APP = TcpSequenceAnalysis.RETRANSMISSION
            | TcpSequenceAnalysis.SPURIOUS_RETRANSMISSION | TcpSequenceAnalysis.OUT_OF_ORDER
            | TcpSequenceAnalysis.KEEP_ALIVE;

    private final AnalysisOptions options;
    private final long dnsTimeoutNanos;
    private final FlowTable table = new FlowTable(4096);
    private final RuleTally[] tallies = new RuleTally[Rule.values().length];
    private final List<Flow> retireBuffer = new ArrayList<>();
    /** The most interesting retired flows, least interesting first; summarized only at the end. */
    private final PriorityQueue<Retired> summaries;

    private FrameObserver observer;
    private Map<String, Long> dropsBySource;
    private int context = -1;
    private long frameBase;
    private String sourceName;
    private boolean multipleSources;
    private int sinceSweep;
    private long now;
    private long frame;

    long packets;
    long bytes;
    long firstNanos = Long.MAX_VALUE;
    long lastNanos = Long.MIN_VALUE;
    long flowCount;

    private long tcpConnections;
    private long resets;
    private long refused;
    private long midStreamResets;
    private long retransmissions;
    private long fastRetransmissions;
    private long spuriousRetransmissions;
    private long duplicateAcks;
    private long lostSegments;
    private long zeroWindows;
    private long unansweredSyns;
    private long notClosed;
    private long dataSegments;
    private final LongSample handshakeRtt = new LongSample();

    private long dnsQueries;
    private long dnsResponses;
    private long nxdomain;
    private long searchNxdomain;
    private long servfail;
    private long dnsRefused;
    private long dnsUnanswered;
    private final LongSample dnsLatency = new LongSample();
    private long lastQueryFrame = -1;
    private long lastResponseFrame = -1;
    private long lastNxFrame = -1;
    private long lastServfailFrame = -1;
    private long lastRefusedFrame = -1;
    private final LinkedHashMap<DnsKey, PendingQuery> pendingDns = new LinkedHashMap<>();
    private final List<NxEvent> nxEvents = new ArrayList<>();
    private final Map<String, Long> resolvedNames = new HashMap<>();

    private long httpRequests;
    private long httpResponses;
    private final long[] httpStatus = new long[1000];
    private final LongSample httpLatency = new LongSample();

    private long clientHellos;
    private long tlsAlerts;
    private final SortedMap<String, Long> serverNames = new TreeMap<>();
    private final SortedMap<String, Long> tlsVersions = new TreeMap<>();
    private final SortedMap<String, Long> alertDescriptions = new TreeMap<>();

    private long icmpUnreachable;
    private long icmpTimeExceeded;

    private final int sweepInterval;
    private final int maxLiveFlows;
    private int peakLiveFlows;

    AnalysisEngine(AnalysisOptions options) {
        this(options, SWEEP_INTERVAL, MAX_LIVE_FLOWS);
    }

    /** With the live-table bounds made small for tests. */
    AnalysisEngine(AnalysisOptions options, int sweepInterval, int maxLiveFlows) {
        this.options = options;
        this.ignoreInterfaceDuplicates = options.ignoreInterfaceDuplicates();
        this.sweepInterval = sweepInterval;
        this.maxLiveFlows = maxLiveFlows;
        this.dnsTimeoutNanos = options.dnsTimeout().toNanos();
        for (Rule rule : Rule.values()) {
            tallies[rule.ordinal()] = new RuleTally(rule);
        }
        summaries = new PriorityQueue<>(Math.max(1, Math.min(options.maxFlows(), 1 << 16)), RetiredOrder.ASCENDING);
    }

    void observer(FrameObserver observer) {
        this.observer = observer;
    }

    private void observe(FrameObserver.Counter counter, int value) {
        if (observer != null) {
            observer.counted(counter, context, frame, value);
        }
    }

    void multipleSources(boolean multiple) {
        this.multipleSources = multiple;
    }

    /** Starts a capture: its flows are kept apart from every other capture's. */
    void beginCapture(int index, String name) {
        beginCapture(index, name, 0);
    }

    /**
     * Starts a capture, or the next piece of the current one when {@code index} and {@code name} are those of the
     * previous piece: flows, pending DNS queries and frame numbers then carry on ({@code frameBase} is the number
     * of frames in the earlier pieces), and {@link #endCapture()} is called only after the last piece.
     */
    void beginCapture(int index, String name, long frameBase) {
        context = index;
        sourceName = name;
        sinceSweep = 0;
        this.frameBase = frameBase;
        // Messages are counted once per frame, as tshark counts them; frame numbers start again in every capture,
        // so frame 4 of the next pod's capture is another frame (three pods with a request each in their frame 4
        // were counted as one request).
        lastQueryFrame = -1;
        lastResponseFrame = -1;
        lastNxFrame = -1;
        lastServfailFrame = -1;
        lastRefusedFrame = -1;
        lastHttpRequestFrame = -1;
        lastHttpResponseFrame = -1;
    }

    /** Ends the current capture: queries still pending are unanswered, and every flow is summarized. */
    void endCapture() {
        Iterator<PendingQuery> it = pendingDns.values().iterator();
        while (it.hasNext()) {
            unanswered(it.next());
            it.remove();
        }
        classifyNxdomains();
        // Every flow ends here: summarized in the table's order, then dropped at once rather than one by one.
        table.forEach(endOfLife);
        table.clear();
    }

    /** Records a damaged or unreadable capture. */
    void captureProblem(long atFrame, String message) {
        captureProblem(sourceName, atFrame, message);
    }

    /** Records a capture that missed packets, named by {@code source} (which may be no capture read here). */
    void captureProblem(String source, long atFrame, String message) {
        RuleTally t = tally(Rule.CAPTURE_INCOMPLETE);
        if (t.add(atFrame, lastNanos == Long.MIN_VALUE ? 0 : lastNanos)) {
            t.firstSource = source;
        }
        t.detail(message);
    }

    /**
     * Records packets a capture dropped (tcpdump's "dropped by kernel"). They are counted, not framed: the finding
     * has no frame (0) and takes the window's first packet as its time; {@code detail} names where they were lost.
     */
    void captureDropped(long packets, String detail) {
        RuleTally t = tally(Rule.CAPTURE_DROPPED);
        t.add(0, firstNanos == Long.MAX_VALUE ? 0 : firstNanos, packets);
        t.detail(detail);
    }

    /**
     * Packets each capture dropped (by display name), so the lost-segment findings of its flows say their gaps
     * are likely the capture's own; set before {@link #flows()}.
     */
    void captureDrops(Map<String, Long> dropsBySource) {
        this.dropsBySource = dropsBySource;
    }

    /**
     * What a lost-segment finding adds when its capture dropped packets in the same window: the gap is then more
     * likely the capture's than the network's. {@code where} names the sources and counts, or is null when the
     * analysis has one capture.
     */
    static String lostSegmentNote(long dropped, String where) {
        return where == null
                ? "; the capture dropped " + dropped + " packets in this window (capture.dropped), so these gaps "
                        + "are likely the capture's own losses, not the network's"
                : "; the capture dropped packets in this window (capture.dropped: " + where + "), so the gaps there "
                        + "are likely the capture's own losses, not the network's";
    }

    @Override
    public boolean onPacket(Packet p) {
        packets++;
        bytes += p.originalLength();
        now = p.timestampNanos();
        frame = frameBase + p.frameNumber();
        if (now < firstNanos) {
            firstNanos = now;
        }
        if (now > lastNanos) {
            lastNanos = now;
        }
        if (ignoreInterfaceDuplicates && p.ipVersion() != 0 && interfaceDuplicate(p)) {
            RuleTally t = tally(Rule.CAPTURE_INTERFACE_DUPLICATE);
            if (t.add(frame, now)) {
                t.firstSource = sourceName;
            }
            return true;
        }
        if (p.ipVersion() != 0) {
            if (p.isTcp()) {
                // Wireshark analyzes TCP only on whole datagrams (reassembled) and never on fragments.
                if (!p.isFragment()) {
                    tcp(p);
                }
            } else if (p.isUdp()) {
                udp(p);
            } else if (p.isIcmp()) {
                icmp(p);
            }
        }
        if (++sinceSweep >= sweepInterval) {
            sinceSweep = 0;
            sweep();
        }
        return true;
    }

    // ---------------------------------------------------------------- interface duplicates

    /** Copies on another interface come within microseconds (same kernel pass); a retransmission comes later. */
    static final long DUPLICATE_WINDOW_NANOS = 1_000_000L;
    private static final int DUPLICATE_RING = 64;
    private final boolean ignoreInterfaceDuplicates;
    private final long[] recentHash = new long[DUPLICATE_RING];
    private final long[] recentNanos = new long[DUPLICATE_RING];
    private final int[] recentInterface = new int[DUPLICATE_RING];
    private final int[] recentContext = new int[DUPLICATE_RING];
    private int recentNext;

    /**
     * True when this IP packet was just seen on another interface of the same capture: the same bytes from the IP
     * header on, but for the IPv4 TTL and header checksum or the IPv6 hop limit (a routed copy). Packets judged
     * duplicates are not remembered, so a retransmission on the first interface is never taken for a copy.
     */
    private boolean interfaceDuplicate(Packet p) {
        int iface = p.sllInterfaceIndex() >= 0 ? p.sllInterfaceIndex() : p.interfaceId();
        long hash = ipHash(p);
        for (int i = 0; i < DUPLICATE_RING; i++) {
            if (recentHash[i] == hash && recentInterface[i] != iface && recentContext[i] == context
                    && now - recentNanos[i] >= 0 && now - recentNanos[i] <= DUPLICATE_WINDOW_NANOS) {
                return true;
            }
        }
        recentHash[recentNext] = hash;
        recentNanos[recentNext] = now;
        recentInterface[recentNext] = iface;
        recentContext[recentNext] = context;
        recentNext = (recentNext + 1) & (DUPLICATE_RING - 1);
        return false;
    }

    private static long ipHash(Packet p) {
        byte[] d = p.data();
        int start = p.dataOffset() + p.networkOffset();
        int end = p.dataOffset() + p.capturedLength();
        boolean v4 = p.ipVersion() == 4;
        long h = 0x9E3779B97F4A7C15L ^ (end - start);
        for (int i = start; i < end; i++) {
            int at = i - start;
            boolean routed = v4 ? at == 8 || at == 10 || at == 11 : at == 7;
            h = (h ^ (routed ? 0 : d[i] & 0xff)) * 0x100000001B3L;
        }
        return h ^ (h >>> 29);
    }

    // ---------------------------------------------------------------- flows

    private Flow lookup(Packet p, int protocol, int srcPort, int dstPort) {
        int hash = FlowTable.hash(context, protocol, p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), srcPort, dstPort);
        Flow f = table.find(hash, context, protocol, p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), srcPort, dstPort);
        if (f == null) {
            f = table.create(hash, context, protocol, p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), srcPort, dstPort);
            started(f);
        }
        f.packets++;
        f.bytes += p.originalLength();
        f.lastNanos = now;
        // A TCP connection can be retired 10 s after its last packet (once closed), anything else after 120 s:
        // until then the sweep leaves the flow alone without reading it.
        table.due(now + (protocol == Flow.TCP ? CLOSED_IDLE_NANOS : DATAGRAM_IDLE_NANOS));
        return f;
    }

    private void started(Flow f) {
        f.id = ++flowCount;
        f.firstNanos = now;
        f.lastNanos = now;
        f.firstFrame = frame;
        if (f.protocol == Flow.TCP) {
            tcpConnections++;
        }
    }

    int liveFlows() {
        return table.size();
    }

    /** The most flows the live table held at a sweep (measured before it retires any). */
    int peakLiveFlows() {
        return peakLiveFlows;
    }

    // Classes rather than lambdas on the analysis's path: the first lambda of a run links the method-handle
    // machinery, milliseconds on the analysis thread of a JVM that has not compiled it. (The branch of sweep() for
    // more live flows than the bound keeps its lambdas: it runs rarely, and costs far more than that when it does.)

    /** Collects into the retire buffer the flows the sweep may retire. */
    private final Consumer<Flow> idleEnough = new Consumer<>() {
        @Override
        public void accept(Flow f) {
            long idle = now - f.lastNanos;
            if ((f.protocol == Flow.TCP && f.closed() && idle > CLOSED_IDLE_NANOS)
                    || (f.protocol != Flow.TCP && idle > DATAGRAM_IDLE_NANOS)) {
                retireBuffer.add(f);
            }
        }
    };

    private final Consumer<Flow> endOfLife = new Consumer<>() {
        @Override
        public void accept(Flow f) {
            endOfLife(f);
        }
    };

    /** Kept summaries in the order of {@link Retired#compare}, or the reverse (most interesting first). */
    private static final class RetiredOrder implements Comparator<Retired> {
        static final RetiredOrder ASCENDING = new RetiredOrder(false);
        static final RetiredOrder DESCENDING = new RetiredOrder(true);

        private final boolean descending;

        private RetiredOrder(boolean descending) {
            this.descending = descending;
        }

        @Override
        public int compare(Retired x, Retired y) {
            return descending ? Retired.compare(y, x) : Retired.compare(x, y);
        }
    }

    private void sweep() {
        peakLiveFlows = Math.max(peakLiveFlows, table.size());
        expireDns();
        retireBuffer.clear();
        // The table visits only flows idle long enough for their protocol (see lookup).
        table.forEachDue(now, idleEnough);
        if (table.size() - retireBuffer.size() > maxLiveFlows) {
            // Still too many: also retire the longest idle, down to three quarters of the bound.
            List<Flow> all = new ArrayList<>(table.size());
            table.forEach(all::add);
            all.removeAll(retireBuffer);
            all.sort(Comparator.comparingLong(f -> f.lastNanos));
            int excess = all.size() - maxLiveFlows * 3 / 4;
            retireBuffer.addAll(all.subList(0, excess));
        }
        for (Flow f : retireBuffer) {
            retire(f);
        }
        retireBuffer.clear();
    }

    /** Takes a flow out of the live table: end-of-life findings, then a summary if it is among the kept ones. */
    private void retire(Flow f) {
        endOfLife(f);
        table.remove(f);
    }

    /** A flow's end-of-life findings, and its summary if it is among the kept ones. */
    private void endOfLife(Flow f) {
        if (f.protocol == Flow.TCP) {
            if (f.synSeen && !f.answered) {
                unansweredSyns++;
                RuleTally t = tally(Rule.TCP_UNANSWERED_SYN);
                if (t.add(f.synFrame, f.synNanos)) {
                    locate(t, f, f.clientDir);
                }
                t.detail(endpoint(f, 1 - f.clientDir).toString());
                f.addFinding(Rule.TCP_UNANSWERED_SYN, f.synFrame, f.synNanos);
            } else if (f.answered && !f.resetSeen && !f.finSeen0 && !f.finSeen1) {
                notClosed++;
                RuleTally t = tally(Rule.TCP_NOT_CLOSED);
                if (t.add(f.firstFrame, f.firstNanos)) {
                    locate(t, f, f.clientDir);
                }
                f.addFinding(Rule.TCP_NOT_CLOSED, f.firstFrame, f.firstNanos);
            }
        }
        offerSummary(f);
    }

    private void offerSummary(Flow f) {
        if (options.maxFlows() == 0) {
            return;
        }
        // Ranked on primitives, and summarized (addresses as text, findings, instants) only if still kept at the
        // end: most retired flows never make it into the report, and for those that do, the copy taken now is
        // what the summary says, as if it had been made now.
        boolean findings = f.hasFindings();
        int worst = worstSeverity(f);
        if (summaries.size() < options.maxFlows()) {
            summaries.add(new Retired(f.detachedCopy(), sourceName, findings, worst));
        } else if (Retired.compare(findings, worst, f.bytes, f.id, summaries.peek()) > 0) {
            summaries.poll();
            summaries.add(new Retired(f.detachedCopy(), sourceName, findings, worst));
        }
    }

    /**
     * A retired flow kept for the report, with the capture it came from; ordered as the report ranks flows:
     * flows with findings first, then by worst severity, bytes, and earliest start.
     */
    private record Retired(Flow flow, String source, boolean findings, int worst) {
        static int compare(Retired x, Retired y) {
            return compare(x.findings, x.worst, x.flow.bytes, x.flow.id, y);
        }

        static int compare(boolean findings, int worst, long bytes, long id, Retired y) {
            int c = Boolean.compare(findings, y.findings);
            if (c == 0) {
                c = Integer.compare(worst, y.worst);
            }
            if (c == 0) {
                c = Long.compare(bytes, y.flow.bytes);
            }
            if (c == 0) {
                c = Long.compare(-id, -y.flow.id);
            }
            return c;
        }
    }

    /** The worst default severity among the flow's findings (they all have default severities), or -1. */
    private static int worstSeverity(Flow f) {
        int worst = -1;
        Rule[] rules = RULES;
        for (long mask = f.ruleMask; mask != 0; mask &= mask - 1) {
            worst = Math.max(worst, rules[Long.numberOfTrailingZeros(mask)].defaultSeverity().ordinal());
        }
        return worst;
    }

    private static final Rule[] RULES = Rule.values();

    private FlowSummary summarize(Flow f, String source) {
        List<Finding> findings = new ArrayList<>();
        String flowText = null;
        if (f.hasFindings()) {
            flowText = flowText(f, f.clientDir, source);
            for (long mask = f.ruleMask; mask != 0; mask &= mask - 1) {
                Rule rule = RULES[Long.numberOfTrailingZeros(mask)];
                int at = f.findingAt(rule.ordinal());
                String message = rule.description();
                Long dropped = rule == Rule.TCP_LOST_SEGMENT && dropsBySource != null ? dropsBySource.get(source)
                        : null;
                if (dropped != null) {
                    message += lostSegmentNote(dropped, null);
                }
                findings.add(new Finding(rule, rule.defaultSeverity(), f.findingData[at], f.findingData[at + 1],
                        instant(f.findingData[at + 2]), flowText, message));
            }
            findings.sort(FindingOrder.SEVERITY);
        }
        String protocol = f.protocol == Flow.TCP ? "TCP" : f.protocol == Flow.UDP ? "UDP" : "ICMP";
        String state = null;
        if (f.protocol == Flow.TCP) {
            state = f.refused ? "REFUSED"
                    : f.synSeen && !f.answered ? "UNANSWERED"
                    : f.resetSeen ? "RESET"
                    : f.finSeen0 || f.finSeen1 ? "CLOSED" : "OPEN";
        }
        String application = switch (f.application) {
            case Flow.APP_HTTP -> "HTTP";
            case Flow.APP_DNS -> "DNS";
            case Flow.APP_TLS -> "TLS";
            default -> null;
        };
        return new FlowSummary(f.id, protocol, endpoint(f, f.clientDir), endpoint(f, 1 - f.clientDir), application,
                f.packets, f.bytes, instant(f.firstNanos), instant(f.lastNanos), state,
                f.handshakeRttNanos >= 0 ? Duration.ofNanos(f.handshakeRttNanos) : null, List.copyOf(findings));
    }

    private static Endpoint endpoint(Flow f, int side) {
        return side == 0 ? new Endpoint(Packet.formatAddress(f.aHi, f.aLo), f.aPort)
                : new Endpoint(Packet.formatAddress(f.bHi, f.bLo), f.bPort);
    }

    private String flowText(Flow f, int fromSide) {
        return flowText(f, fromSide, sourceName);
    }

    private String flowText(Flow f, int fromSide, String source) {
        String text = endpoint(f, fromSide) + " -> " + endpoint(f, 1 - fromSide);
        return multipleSources && source != null ? source + ": " + text : text;
    }

    private RuleTally tally(Rule rule) {
        return tallies[rule.ordinal()];
    }

    /** Sets where a rule first fired: called only on its first occurrence, so the Strings are made once. */
    private void locate(RuleTally t, Flow f, int fromSide) {
        t.firstFlow = flowText(f, fromSide);
        t.firstSource = sourceName;
    }

    private void finding(Rule rule, Flow f, int fromSide) {
        RuleTally t = tally(rule);
        if (t.add(frame, now) && f != null) {
            locate(t, f, fromSide);
        }
        if (f != null) {
            f.addFinding(rule, frame, now);
        }
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    // ---------------------------------------------------------------- TCP

    private void tcp(Packet p) {
        int flags = p.tcpFlags();
        int seq = (int) p.seq();
        int ack = (int) p.ack();
        Flow f = lookup(p, Flow.TCP, p.srcPort(), p.dstPort());
        int dir = table.direction;
        Flow.TcpDirection fwd = f.dir(dir);
        Flow.TcpDirection rev = f.dir(1 - dir);

        if ((flags & (Packet.SYN | Packet.ACK)) == Packet.SYN && fwd.baseSeqSet) {
            if (seq != fwd.baseSeq) {
                // A SYN with a new ISN reuses the ports: Wireshark starts a new conversation.
                f.packets--;
                f.bytes -= p.originalLength();
                retire(f);
                f = lookup(p, Flow.TCP, p.srcPort(), p.dstPort());
                dir = 0;
                fwd = f.d0;
                rev = f.d1;
            } else {
                // A retransmitted SYN: Wireshark restores nextseq (RFC 793 3.4, its issue 17616).
                fwd.nextSeq = fwd.maxSeqToBeAcked;
            }
        }
        if ((flags & (Packet.SYN | Packet.ACK)) == (Packet.SYN | Packet.ACK) && fwd.baseSeqSet
                && seq != fwd.baseSeq) {
            fwd.baseSeq = seq;
        }
        if (!fwd.baseSeqSet) {
            fwd.baseSeq = (flags & Packet.SYN) != 0 ? seq : seq - 1;
            fwd.baseSeqSet = true;
        }
        if (!rev.baseSeqSet && (flags & Packet.ACK) != 0) {
            rev.baseSeq = ack - 1;
            rev.baseSeqSet = true;
        }

        int seglen = p.payloadLength();
        int ta = TcpSequenceAnalysis.analyze(f, fwd, rev, seq, ack, seglen, flags, p.window(), now);

        if ((flags & Packet.SYN) != 0) {
            if ((flags & Packet.ACK) == 0) {
                f.mruSynNanos = now;
                if (!f.synSeen) {
                    f.synSeen = true;
                    f.synNanos = now;
                    f.synFrame = frame;
                    f.clientDir = dir;
                }
            } else {
                if (!f.synSeen && f.packets == 1) {
                    f.clientDir = 1 - dir;
                }
                if (!f.synAckSeen && f.mruSynNanos != 0) {
                    f.handshakeRttNanos = now - f.mruSynNanos;
                    handshakeRtt.add(f.handshakeRttNanos);
                }
                f.synAckSeen = true;
            }
        }
        if ((flags & (Packet.SYN | Packet.ACK)) == Packet.ACK && f.mruSynNanos != 0 && f.firstRttNanos == 0) {
            f.firstRttNanos = now - f.mruSynNanos;
        }
        if (dir != f.clientDir) {
            f.answered = true;
        }
        if ((flags & Packet.FIN) != 0) {
            if (dir == 0) {
                f.finSeen0 = true;
            } else {
                f.finSeen1 = true;
            }
        }
        if ((flags & Packet.RST) != 0) {
            resets++;
            observe(FrameObserver.Counter.RESET, 0);
            if (f.synSeen && !f.synAckSeen && dir != f.clientDir) {
                refused++;
                f.refused = true;
                finding(Rule.TCP_REFUSED, f, f.clientDir);
                tally(Rule.TCP_REFUSED).detail(endpoint(f, 1 - f.clientDir).toString());
            } else {
                midStreamResets++;
                finding(Rule.TCP_RESET, f, dir);
            }
            f.resetSeen = true;
        }
        if (seglen > 0) {
            dataSegments++;
        }
        if (ta != 0) {
            tcpFindings(f, dir, ta);
        }
        // An out-of-order or resent segment is not dissected on its own, but one that fills the hole before data
        // kept from beyond it completes a body of known length, as Wireshark's out-of-order reassembly does
        // (tcp.reassemble_out_of_order): a resent segment counts when it starts exactly where the hole does.
        boolean fillsHole = fwd.hasOutOfOrder() && ((ta & SKIP_APP) == TcpSequenceAnalysis.OUT_OF_ORDER
                || ((ta & SKIP_APP) == TcpSequenceAnalysis.RETRANSMISSION && fwd.expectSeqValid
                        && seq == fwd.expectSeq));
        if (p.capturedPayloadLength() > 0 && (flags & Packet.RST) == 0 && ((ta & SKIP_APP) == 0 || fillsHole)) {
            tcpPayload(p, f, dir, fwd, seq, seglen, ta);
        }
    }

    private void tcpFindings(Flow f, int dir, int ta) {
        if ((ta & TcpSequenceAnalysis.ANY_RETRANSMISSION) != 0) {
            retransmissions++;
            observe(FrameObserver.Counter.RETRANSMISSION, 0);
            if ((ta & TcpSequenceAnalysis.FAST_RETRANSMISSION) != 0) {
                fastRetransmissions++;
                observe(FrameObserver.Counter.FAST_RETRANSMISSION, 0);
            }
            if ((ta & TcpSequenceAnalysis.SPURIOUS_RETRANSMISSION) != 0) {
                spuriousRetransmissions++;
                observe(FrameObserver.Counter.SPURIOUS_RETRANSMISSION, 0);
            }
            finding(Rule.TCP_RETRANSMISSION, f, dir);
        }
        if ((ta & TcpSequenceAnalysis.DUPLICATE_ACK) != 0) {
            duplicateAcks++;
            observe(FrameObserver.Counter.DUPLICATE_ACK, 0);
            finding(Rule.TCP_DUPLICATE_ACK, f, dir);
        }
        if ((ta & TcpSequenceAnalysis.LOST_PACKET) != 0) {
            lostSegments++;
            observe(FrameObserver.Counter.LOST_SEGMENT, 0);
            finding(Rule.TCP_LOST_SEGMENT, f, dir);
        }
        if ((ta & TcpSequenceAnalysis.ZERO_WINDOW) != 0) {
            zeroWindows++;
            observe(FrameObserver.Counter.ZERO_WINDOW, 0);
            finding(Rule.TCP_ZERO_WINDOW, f, dir);
        }
    }

    private void tcpPayload(Packet p, Flow f, int dir, Flow.TcpDirection fwd, int seq, int seglen, int ta) {
        byte[] d = p.data();
        int off = p.dataOffset() + p.payloadOffset();
        int len = p.capturedPayloadLength();
        if (f.aPort == 53 || f.bPort == 53) {
            dnsOverTcp(f, dir, fwd, d, off, len);
            return;
        }
        if (fwd.stalled) {
            return;
        }
        int nextSeq = seq + seglen;
        int start = 0;
        if (fwd.skipBytes == 0 && fwd.pendingHttp == 0
                && ((ta & TcpSequenceAnalysis.LOST_PACKET) != 0
                        || (fwd.hasOutOfOrder() && !TcpSequenceAnalysis.lt(seq, fwd.firstOutOfOrder())))
                && !startsMessage(d, off, len) && fwd.addOutOfOrder(seq, nextSeq)) {
            // Data beyond a hole, before the start of its message was seen (the start was lost and is resent
            // later): kept as a range, as Wireshark's out-of-order reassembly keeps it, for the body that start
            // will announce.
            return;
        }
        if (fwd.skipBytes > 0 || fwd.pendingHttp != 0) {
            if (fwd.expectSeqValid && TcpSequenceAnalysis.lt(seq, fwd.expectSeq)) {
                // Old data again (a fast retransmission): Wireshark's reassembly ignores it.
                return;
            }
            if (!fwd.expectSeqValid || seq != fwd.expectSeq) {
                if (fwd.expectSeqValid && seglen > 0 && fwd.pendingHttp != 0 && !fwd.pendingInHeaders
                        && !fwd.chunked && fwd.skipBytes != Long.MAX_VALUE
                        && (nextSeq - fwd.expectSeq) <= fwd.skipBytes
                        && fwd.addOutOfOrder(seq, nextSeq)) {
                    // Beyond a hole but inside a body of known length: Wireshark adds the segment to the message's
                    // reassembly (its length is known), and the message completes where the hole is filled.
                    return;
                }
                // A gap inside a message that cannot be placed: Wireshark's reassembly never completes it (no
                // out-of-order reassembly of a message whose start or length is unknown). Normally the next
                // message start is dissected afresh; but when the message began in a fast retransmission (its
                // start arrived after later data), Wireshark's reassembly stays stuck on it and nothing more is
                // counted in this direction.
                boolean stall = fwd.pendingFromRetransmission;
                fwd.skipBytes = 0;
                fwd.chunked = false;
                fwd.pendingHttp = 0;
                fwd.clearOutOfOrder();
                if (stall) {
                    fwd.stalled = true;
                    return;
                }
            } else {
                fwd.expectSeq = nextSeq;
                // Data that had arrived beyond a hole this segment filled belongs to the body too.
                int advance = seglen;
                if (fwd.hasOutOfOrder()) {
                    fwd.expectSeq = fwd.joinOutOfOrder(nextSeq);
                    advance = fwd.expectSeq - seq;
                }
                if (fwd.pendingHttp != 0 && fwd.pendingInHeaders) {
                    int headerLength = Payloads.headerEnd(d, off, len);
                    int scan = headerLength > 0 ? headerLength : len;
                    long contentLength = Payloads.contentLength(d, off, scan);
                    if (contentLength >= 0) {
                        fwd.pendingContentLength = contentLength;
                    }
                    fwd.pendingChunked |= Payloads.chunked(d, off, scan);
                    if (headerLength < 0) {
                        return;
                    }
                    fwd.pendingInHeaders = false;
                    int kind = fwd.pendingHttp;
                    fwd.pendingHttp = 0;
                    httpBody(f, dir, fwd, kind, fwd.pendingStatus, fwd.pendingHead, fwd.pendingContentLength,
                            fwd.pendingChunked, d, off + headerLength, len - headerLength, nextSeq);
                    return;
                }
                if (fwd.chunked) {
                    if (Payloads.endsChunkedBody(d, off, len)) {
                        fwd.skipBytes = 0;
                        fwd.chunked = false;
                        httpComplete(f, dir, fwd);
                    }
                    return;
                }
                if (advance < fwd.skipBytes) {
                    fwd.skipBytes -= advance;
                    return;
                }
                // The next message starts inside this segment, or (the body ended in data kept from beyond the
                // hole) after it.
                start = fwd.skipBytes <= seglen ? (int) fwd.skipBytes : len;
                fwd.skipBytes = 0;
                fwd.clearOutOfOrder();
                // Completed here, also by an out-of-order or resent segment: with out-of-order reassembly
                // Wireshark hands the reassembled message to the HTTP dissector in the frame that completes it.
                httpComplete(f, dir, fwd);
            }
        }
        int o = off + start;
        int n = len - start;
        if (n <= 0) {
            return;
        }
        int first = d[o];
        if (first == 'H') {
            int status = Payloads.httpStatus(d, o, n);
            if (status >= 0) {
                f.application = Flow.APP_HTTP;
                boolean head = f.oldestRequestIsHead();
                long requestNanos = f.popHttpRequest();
                if (requestNanos >= 0) {
                    httpLatency.add(now - requestNanos);
                }
                fwd.pendingFromRetransmission = (ta & TcpSequenceAnalysis.FAST_RETRANSMISSION) != 0;
                httpMessage(f, dir, fwd, HTTP_RESPONSE, status, head, d, o, n, nextSeq);
                return;
            }
        }
        if (first >= 'A' && first <= 'Z') {
            int methodLength = Payloads.httpRequest(d, o, n);
            if (methodLength > 0) {
                f.application = Flow.APP_HTTP;
                f.pushHttpRequest(now, methodLength == 4 && d[o] == 'H' && d[o + 1] == 'E');
                fwd.pendingFromRetransmission = (ta & TcpSequenceAnalysis.FAST_RETRANSMISSION) != 0;
                httpMessage(f, dir, fwd, HTTP_REQUEST, 0, false, d, o, n, nextSeq);
            }
            return;
        }
        if (first >= 20 && first <= 24 && Payloads.tlsRecord(d, o, n)) {
            tlsRecords(f, dir, fwd, d, o, n, nextSeq);
        }
    }

    /** Whether an HTTP request or status line, or a TLS record, starts here. */
    private static boolean startsMessage(byte[] d, int o, int n) {
        int first = d[o];
        return (first == 'H' && Payloads.httpStatus(d, o, n) >= 0)
                || (first >= 'A' && first <= 'Z' && Payloads.httpRequest(d, o, n) > 0)
                || (first >= 20 && first <= 24 && Payloads.tlsRecord(d, o, n));
    }

    private final Payloads.Headers headers = new Payloads.Headers();

    private static final int HTTP_REQUEST = 1;
    private static final int HTTP_RESPONSE = 2;

    /** A request or status line starts here; the message counts once its headers and body are complete. */
    private void httpMessage(Flow f, int dir, Flow.TcpDirection fwd, int kind, int status, boolean head, byte[] d,
            int o, int n, int nextSeq) {
        Payloads.scanHeaders(d, o, n, headers);
        if (headers.length < 0) {
            fwd.pendingHttp = kind;
            fwd.pendingStatus = status;
            fwd.pendingHead = head;
            fwd.pendingInHeaders = true;
            fwd.pendingContentLength = headers.contentLength;
            fwd.pendingChunked = headers.chunked;
            fwd.expectSeq = nextSeq;
            fwd.expectSeqValid = true;
            return;
        }
        httpBody(f, dir, fwd, kind, status, head, headers.contentLength, headers.chunked, d, o + headers.length,
                n - headers.length, nextSeq);
    }

    private void httpBody(Flow f, int dir, Flow.TcpDirection fwd, int kind, int status, boolean head,
            long contentLength, boolean chunked, byte[] d, int bodyOffset, int bodyBytes, int nextSeq) {
        fwd.pendingHttp = kind;
        fwd.pendingStatus = status;
        fwd.pendingInHeaders = false;
        boolean noBody = kind == HTTP_RESPONSE && (status < 200 || status == 204 || status == 304 || head);
        if (noBody || (kind == HTTP_REQUEST && contentLength < 0 && !chunked)) {
            httpComplete(f, dir, fwd);
            return;
        }
        fwd.expectSeq = nextSeq;
        fwd.expectSeqValid = true;
        if (chunked) {
            if (Payloads.endsChunkedBody(d, bodyOffset, bodyBytes)) {
                httpComplete(f, dir, fwd);
            } else {
                fwd.chunked = true;
                fwd.skipBytes = Long.MAX_VALUE;
            }
            return;
        }
        if (contentLength >= 0) {
            long remaining = contentLength - bodyBytes;
            if (remaining <= 0) {
                httpComplete(f, dir, fwd);
            } else {
                fwd.skipBytes = remaining;
            }
            return;
        }
        // A response without a length runs until the connection closes: count it now, skip the rest.
        httpComplete(f, dir, fwd);
        fwd.skipBytes = Long.MAX_VALUE;
    }

    private long lastHttpRequestFrame = -1;
    private long lastHttpResponseFrame = -1;

    private void httpComplete(Flow f, int dir, Flow.TcpDirection fwd) {
        int kind = fwd.pendingHttp;
        fwd.pendingHttp = 0;
        if (kind == HTTP_REQUEST) {
            if (lastHttpRequestFrame != frame) {
                lastHttpRequestFrame = frame;
                httpRequests++;
                observe(FrameObserver.Counter.HTTP_REQUEST, 0);
            }
        } else if (kind == HTTP_RESPONSE) {
            int status = fwd.pendingStatus;
            if (lastHttpResponseFrame != frame) {
                lastHttpResponseFrame = frame;
                httpResponses++;
            }
            httpStatus[status]++;
            observe(FrameObserver.Counter.HTTP_RESPONSE, status);
            if (status >= 400) {
                // Details (status codes) come from httpStatus at the end: no String per response.
                finding(status >= 500 ? Rule.HTTP_SERVER_ERROR : Rule.HTTP_CLIENT_ERROR, f, 1 - dir);
            }
        }
    }

    /** Map.merge(key, 1L, Long::sum) without the lambda, whose class a JVM would spin at the first TLS record. */
    private static void increment(Map<String, Long> counts, String key) {
        Long count = counts.get(key);
        counts.put(key, count == null ? 1L : count + 1);
    }

    private void tlsRecords(Flow f, int dir, Flow.TcpDirection fwd, byte[] d, int o, int n, int nextSeq) {
        int end = o + n;
        int at = o;
        boolean alertCounted = false;
        while (at + 5 <= end && Payloads.tlsRecord(d, at, end - at)) {
            f.application = Flow.APP_TLS;
            int type = d[at];
            int recordLength = Payloads.u16(d, at + 3);
            int body = at + 5;
            int available = Math.min(recordLength, end - body);
            if (type == 21) {
                if (!alertCounted) {
                    tlsAlerts++;
                    observe(FrameObserver.Counter.TLS_ALERT, 0);
                    alertCounted = true;
                }
                String description;
                if (recordLength == 2 && available >= 2) {
                    int code = d[body + 1] & 0xff;
                    description = Payloads.tlsAlertName(code);
                    if (code != 0) {
                        finding(Rule.TLS_ALERT, f, dir);
                        tally(Rule.TLS_ALERT).detail(description + ((d[body] & 0xff) == 2 ? " (fatal)" : ""));
                    }
                } else {
                    description = "Encrypted Alert";
                }
                increment(alertDescriptions, description);
            } else if (type == 22 && available >= 4 && d[body] == 1) {
                String[] hello = Payloads.clientHello(d, body, available);
                if (hello != null) {
                    clientHellos++;
                    if (hello[0] != null) {
                        increment(serverNames, hello[0]);
                    }
                    increment(tlsVersions, hello[1]);
                }
            }
            long recordEnd = (long) body + recordLength;
            if (recordEnd > end) {
                fwd.skipBytes = recordEnd - end;
                fwd.chunked = false;
                fwd.expectSeq = nextSeq;
                fwd.expectSeqValid = true;
                return;
            }
            at = (int) recordEnd;
        }
    }

    // ---------------------------------------------------------------- UDP and DNS

    private void udp(Packet p) {
        Flow f = lookup(p, Flow.UDP, p.srcPort(), p.dstPort());
        int dir = table.direction;
        if ((p.srcPort() == 53 || p.dstPort() == 53) && p.capturedPayloadLength() >= 4 && !p.isFragment()) {
            dnsMessage(f, dir, p.data(), p.dataOffset() + p.payloadOffset(), p.capturedPayloadLength(), false);
        }
    }

    private void dnsOverTcp(Flow f, int dir, Flow.TcpDirection fwd, byte[] d, int off, int len) {
        byte[] src = d;
        int at = off;
        int end = off + len;
        if (fwd.dnsBuffered > 0) {
            int room = fwd.dnsBuffer.length - fwd.dnsBuffered;
            int copy = Math.min(room, len);
            System.arraycopy(d, off, fwd.dnsBuffer, fwd.dnsBuffered, copy);
            fwd.dnsBuffered += copy;
            src = fwd.dnsBuffer;
            at = 0;
            end = fwd.dnsBuffered;
        }
        while (end - at >= 2) {
            int messageLength = Payloads.u16(src, at);
            if (at + 2 + messageLength > end) {
                break;
            }
            if (messageLength >= 4) {
                dnsMessage(f, dir, src, at + 2, messageLength, true);
            }
            at += 2 + messageLength;
        }
        int rest = end - at;
        if (rest == 0) {
            fwd.dnsBuffered = 0;
        } else if (src == fwd.dnsBuffer) {
            System.arraycopy(src, at, src, 0, rest);
            fwd.dnsBuffered = rest;
            if (rest == src.length) {
                fwd.dnsBuffered = 0;
            }
        } else {
            if (fwd.dnsBuffer == null) {
                fwd.dnsBuffer = new byte[65537];
            }
            System.arraycopy(src, at, fwd.dnsBuffer, 0, rest);
            fwd.dnsBuffered = rest;
        }
    }

    private void dnsMessage(Flow f, int dir, byte[] d, int o, int n, boolean tcp) {
        f.application = Flow.APP_DNS;
        int id = Payloads.u16(d, o);
        int flags = Payloads.u16(d, o + 2);
        boolean response = (flags & 0x8000) != 0;
        int rcode = flags & 0x0f;
        long cHi = dir == 0 ? f.aHi : f.bHi;
        long cLo = dir == 0 ? f.aLo : f.bLo;
        int cPort = dir == 0 ? f.aPort : f.bPort;
        long sHi = dir == 0 ? f.bHi : f.aHi;
        long sLo = dir == 0 ? f.bLo : f.aLo;
        int sPort = dir == 0 ? f.bPort : f.aPort;
        if (!response) {
            if (lastQueryFrame != frame) {
                lastQueryFrame = frame;
                dnsQueries++;
                observe(FrameObserver.Counter.DNS_QUERY, 0);
            }
            DnsKey key = new DnsKey(context, cHi, cLo, cPort, sHi, sLo, sPort, id, tcp);
            if (!pendingDns.containsKey(key)) {
                if (pendingDns.size() >= MAX_PENDING_DNS) {
                    Iterator<PendingQuery> it = pendingDns.values().iterator();
                    unanswered(it.next());
                    it.remove();
                }
                pendingDns.put(key, new PendingQuery(frame, now, Payloads.dnsQuestionName(d, o, n), f, f.id, dir));
            }
            expireDns();
            return;
        }
        if (lastResponseFrame != frame) {
            lastResponseFrame = frame;
            dnsResponses++;
        }
        // The response goes from server to client: the query's client is this packet's destination.
        PendingQuery query = pendingDns.remove(new DnsKey(context, sHi, sLo, sPort, cHi, cLo, cPort, id, tcp));
        if (query != null) {
            if (now - query.nanos > dnsTimeoutNanos) {
                // Too late to help the resolver, which gave up: unanswered as far as the client is concerned.
                unanswered(query);
            } else {
                dnsLatency.add(now - query.nanos);
            }
        }
        switch (rcode) {
            case 0:
                if (n >= 12 && Payloads.u16(d, o + 6) > 0) {
                    String name = Payloads.dnsQuestionName(d, o, n);
                    if (name != null && (resolvedNames.size() < MAX_DNS_NAMES || resolvedNames.containsKey(name))) {
                        resolvedNames.put(name, frame);
                    }
                }
                break;
            case 2:
                if (lastServfailFrame != frame) {
                    lastServfailFrame = frame;
                    servfail++;
                    observe(FrameObserver.Counter.DNS_SERVFAIL, 0);
                    finding(Rule.DNS_SERVFAIL, f, 1 - dir);
                    tally(Rule.DNS_SERVFAIL).detail(nameOrUnknown(d, o, n));
                }
                break;
            case 3:
                if (lastNxFrame != frame) {
                    lastNxFrame = frame;
                    nxdomain++;
                    observe(FrameObserver.Counter.DNS_NXDOMAIN, 0);
                    String name = Payloads.dnsQuestionName(d, o, n);
                    if (nxEvents.size() < MAX_DNS_NAMES) {
                        nxEvents.add(new NxEvent(name, frame, now, f, f.id, 1 - dir));
                    } else {
                        nxdomainFinding(new NxEvent(name, frame, now, f, f.id, 1 - dir), false);
                    }
                }
                break;
            case 5:
                if (lastRefusedFrame != frame) {
                    lastRefusedFrame = frame;
                    dnsRefused++;
                    observe(FrameObserver.Counter.DNS_REFUSED, 0);
                    finding(Rule.DNS_REFUSED, f, 1 - dir);
                    tally(Rule.DNS_REFUSED).detail(nameOrUnknown(d, o, n));
                }
                break;
            default:
                break;
        }
    }

    private static String nameOrUnknown(byte[] d, int o, int n) {
        return detailName(Payloads.dnsQuestionName(d, o, n));
    }

    /** A DNS finding's detail: the question name, or a placeholder for a message without a readable one. */
    private static String detailName(String questionName) {
        return questionName == null ? "(no question)" : questionName;
    }

    private void expireDns() {
        Iterator<PendingQuery> it = pendingDns.values().iterator();
        while (it.hasNext()) {
            PendingQuery q = it.next();
            if (now - q.nanos <= dnsTimeoutNanos) {
                return;
            }
            unanswered(q);
            it.remove();
        }
    }

    private void unanswered(PendingQuery q) {
        dnsUnanswered++;
        RuleTally t = tally(Rule.DNS_UNANSWERED);
        boolean live = q.flow.id == q.flowId;
        if (t.add(q.frame, q.nanos)) {
            t.firstSource = sourceName;
            if (live) {
                t.firstFlow = flowText(q.flow, q.clientSide);
            }
        }
        t.detail(detailName(q.name));
        if (live) {
            q.flow.addFinding(Rule.DNS_UNANSWERED, q.frame, q.nanos);
        }
    }

    /**
     * Splits this capture's NXDOMAIN answers into real ones and search-domain expansions: an NXDOMAIN for
     * {@code N} is expected noise when a name it expands later resolved, that is a name {@code M} answered
     * successfully after it where {@code N} is {@code M} plus a suffix ({@code api.example.com.ns.svc.cluster.local}
     * for {@code api.example.com}), or where both share their first labels and {@code N}'s suffix ends with
     * {@code M}'s ({@code web.ns.svc.cluster.local} for {@code web.svc.cluster.local}).
     */
    private void classifyNxdomains() {
        // Per distinct name (a k8s resolver repeats the same expansions), the latest frame at which a name it
        // expands resolved: an NXDOMAIN before that frame is search-domain noise.
        Map<String, Long> latest = new HashMap<>();
        // The names for each rule's message, counted here and added once per name in the order they first came:
        // what one detail per answer adds, without a sorted-map update and a boxed count per answer.
        Map<String, long[]> realNames = new LinkedHashMap<>();
        Map<String, long[]> noiseNames = new LinkedHashMap<>();
        for (NxEvent e : nxEvents) {
            boolean noise = false;
            if (e.name != null) {
                Long at = latest.get(e.name);
                if (at == null) {
                    at = latestExpandedResolution(e.name);
                    latest.put(e.name, at);
                }
                noise = at > e.frame;
            }
            nxdomainCounted(e, noise);
            Map<String, long[]> names = noise ? noiseNames : realNames;
            String detail = detailName(e.name);
            long[] count = names.get(detail);
            if (count == null) {
                count = new long[1];
                names.put(detail, count);
            }
            count[0]++;
        }
        for (Map.Entry<String, long[]> name : realNames.entrySet()) {
            tally(Rule.DNS_NXDOMAIN).detail(name.getKey(), name.getValue()[0]);
        }
        for (Map.Entry<String, long[]> name : noiseNames.entrySet()) {
            tally(Rule.DNS_SEARCH_NXDOMAIN).detail(name.getKey(), name.getValue()[0]);
        }
        nxEvents.clear();
        resolvedNames.clear();
    }

    /** The latest frame at which a name that {@code name} expands resolved, or -1. */
    private long latestExpandedResolution(String name) {
        long latest = -1;
        for (int dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
            String prefix = name.substring(0, dot);
            latest = Math.max(latest, resolvedFrame(prefix));
            // Same leading labels, a shorter suffix of the same search list.
            for (int next = name.indexOf('.', dot + 1); next > 0; next = name.indexOf('.', next + 1)) {
                latest = Math.max(latest, resolvedFrame(prefix + name.substring(next)));
            }
        }
        return latest;
    }

    private long resolvedFrame(String name) {
        Long at = resolvedNames.get(name);
        return at == null ? -1 : at;
    }

    private void nxdomainFinding(NxEvent e, boolean searchNoise) {
        nxdomainCounted(e, searchNoise);
        tally(searchNoise ? Rule.DNS_SEARCH_NXDOMAIN : Rule.DNS_NXDOMAIN).detail(detailName(e.name), 1);
    }

    /** An NXDOMAIN answer's count, first occurrence and flow finding; its detail (the name) is the caller's. */
    private void nxdomainCounted(NxEvent e, boolean searchNoise) {
        Rule rule = searchNoise ? Rule.DNS_SEARCH_NXDOMAIN : Rule.DNS_NXDOMAIN;
        if (searchNoise) {
            searchNxdomain++;
        }
        RuleTally t = tally(rule);
        boolean live = e.flow.id == e.flowId;
        if (t.add(e.frame, e.nanos)) {
            t.firstSource = sourceName;
            if (live) {
                t.firstFlow = flowText(e.flow, e.clientSide);
            }
        }
        if (live) {
            e.flow.addFinding(rule, e.frame, e.nanos);
        }
    }

    /**
     * Written out rather than generated: a record's generated equals and hashCode are bootstrapped through
     * method handles, whose classes the JVM spins (and compiles) mid-analysis at the first DNS packet.
     */
    private record DnsKey(int context, long clientHi, long clientLo, int clientPort, long serverHi, long serverLo,
            int serverPort, int id, boolean tcp) {
        @Override
        public boolean equals(Object o) {
            return o instanceof DnsKey k && k.id == id && k.clientLo == clientLo && k.serverLo == serverLo
                    && k.clientPort == clientPort && k.serverPort == serverPort && k.clientHi == clientHi
                    && k.serverHi == serverHi && k.context == context && k.tcp == tcp;
        }

        @Override
        public int hashCode() {
            long h = clientLo * 31 + serverLo;
            h = h * 31 + clientHi;
            h = h * 31 + serverHi;
            h = h * 31 + ((long) clientPort << 16 | serverPort);
            h = h * 31 + ((long) id << 8 | (long) context << 1 | (tcp ? 1 : 0));
            return Long.hashCode(h * 0x9E3779B97F4A7C15L);
        }
    }

    private record PendingQuery(long frame, long nanos, String name, Flow flow, long flowId, int clientSide) {
    }

    private record NxEvent(String name, long frame, long nanos, Flow flow, long flowId, int clientSide) {
    }

    // ---------------------------------------------------------------- ICMP

    private void icmp(Packet p) {
        boolean v6 = p.ipProtocol() == Packet.PROTO_ICMPV6;
        int type = p.icmpType();
        Flow f = lookup(p, Flow.ICMP, 0, 0);
        int dir = table.direction;
        boolean unreachable = v6 ? type == 1 : type == 3;
        boolean exceeded = v6 ? type == 3 : type == 11;
        if (!unreachable && !exceeded) {
            return;
        }
        Rule rule = unreachable ? Rule.ICMP_UNREACHABLE : Rule.ICMP_TIME_EXCEEDED;
        if (unreachable) {
            icmpUnreachable++;
            observe(FrameObserver.Counter.ICMP_UNREACHABLE, 0);
        } else {
            icmpTimeExceeded++;
        }
        finding(rule, f, dir);
        String what = unreachable ? unreachableCode(v6, p.icmpCode()) : exceededCode(v6, p.icmpCode());
        if (p.innerIpVersion() != 0) {
            String proto = p.innerIpProtocol() == Packet.PROTO_TCP ? "TCP"
                    : p.innerIpProtocol() == Packet.PROTO_UDP ? "UDP" : "protocol " + p.innerIpProtocol();
            what += " for " + proto + " "
                    + new Endpoint(Packet.formatAddress(p.innerSrcHi(), p.innerSrcLo()), Math.max(0, p.innerSrcPort()))
                    + " -> "
                    + new Endpoint(Packet.formatAddress(p.innerDstHi(), p.innerDstLo()), Math.max(0, p.innerDstPort()));
        }
        tally(rule).detail(what);
    }

    private static String unreachableCode(boolean v6, int code) {
        if (v6) {
            switch (code) {
                case 0:
                    return "no route";
                case 1:
                    return "administratively prohibited";
                case 3:
                    return "address unreachable";
                case 4:
                    return "port unreachable";
                default:
                    return "code " + code;
            }
        }
        switch (code) {
            case 0:
                return "network unreachable";
            case 1:
                return "host unreachable";
            case 2:
                return "protocol unreachable";
            case 3:
                return "port unreachable";
            case 4:
                return "fragmentation needed";
            case 13:
                return "administratively prohibited";
            default:
                return "code " + code;
        }
    }

    private static String exceededCode(boolean v6, int code) {
        return code == 0 ? (v6 ? "hop limit exceeded" : "TTL exceeded") : "fragment reassembly time exceeded";
    }

    // ---------------------------------------------------------------- results

    Stats stats() {
        SortedMap<Integer, Long> status = new TreeMap<>();
        long clientErrors = 0;
        long serverErrors = 0;
        for (int code = 0; code < httpStatus.length; code++) {
            if (httpStatus[code] > 0) {
                status.put(code, httpStatus[code]);
                if (code >= 500) {
                    serverErrors += httpStatus[code];
                } else if (code >= 400) {
                    clientErrors += httpStatus[code];
                }
            }
        }
        return new Stats(
                new Stats.Tcp(tcpConnections, resets, refused, midStreamResets, retransmissions, fastRetransmissions,
                        spuriousRetransmissions, duplicateAcks, lostSegments, zeroWindows, unansweredSyns, notClosed,
                        handshakeRtt.median()),
                new Stats.Dns(dnsQueries, dnsResponses, nxdomain, searchNxdomain, servfail, dnsRefused, dnsUnanswered,
                        dnsLatency.median(), dnsLatency.max()),
                new Stats.Http(httpRequests, httpResponses, status, clientErrors, serverErrors,
                        httpLatency.median(), httpLatency.max()),
                new Stats.Tls(clientHellos, new TreeMap<>(serverNames), new TreeMap<>(tlsVersions), tlsAlerts,
                        new TreeMap<>(alertDescriptions)),
                new Stats.Icmp(icmpUnreachable, icmpTimeExceeded));
    }

    /** Retransmitted data segments over all data segments (0 without data). */
    double retransmissionRate() {
        return dataSegments == 0 ? 0 : (double) retransmissions / dataSegments;
    }

    /** Segments not captured so far, over all captures: read per capture to tell whose flows had gaps. */
    long lostSegments() {
        return lostSegments;
    }

    long dataSegments() {
        return dataSegments;
    }

    List<RuleTally> tallies() {
        for (int code = 400; code < httpStatus.length; code++) {
            if (httpStatus[code] > 0) {
                tally(code >= 500 ? Rule.HTTP_SERVER_ERROR : Rule.HTTP_CLIENT_ERROR).details
                        .put(String.valueOf(code), httpStatus[code]);
            }
        }
        List<RuleTally> out = new ArrayList<>();
        for (RuleTally t : tallies) {
            if (t.count > 0) {
                out.add(t);
            }
        }
        return out;
    }

    boolean multipleSources() {
        return multipleSources;
    }

    /** The kept flow summaries, most interesting first. */
    List<FlowSummary> flows() {
        List<Retired> kept = new ArrayList<>(summaries);
        kept.sort(RetiredOrder.DESCENDING);
        List<FlowSummary> out = new ArrayList<>(kept.size());
        for (Retired r : kept) {
            out.add(summarize(r.flow(), r.source()));
        }
        return out;
    }
}
