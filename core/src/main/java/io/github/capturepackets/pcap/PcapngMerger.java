package io.github.capturepackets.pcap;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The k-way, time-ordered merge behind {@link PcapngWriter#merge}. */
final class PcapngMerger {

    /** Per input: a merge of many pods' captures should not hold 4 MiB for each. */
    private static final int READ_BUFFER = 256 * 1024;

    private PcapngMerger() {}

    static MergeResult merge(List<MergeSource> sources, OutputStream out, List<String> sectionComments)
            throws IOException {
        int k = sources.size();
        CaptureReader[] readers = new CaptureReader[k];
        List<CaptureProblem> problems = new ArrayList<>();
        List<String> comments = new ArrayList<>(sectionComments);
        Throwable failure = null;
        PcapngWriter writer = null;
        try {
            for (int i = 0; i < k; i++) {
                MergeSource source = sources.get(i);
                try {
                    readers[i] = CaptureReader.open(Files.newInputStream(source.file()), source.file().toString(),
                            READ_BUFFER);
                } catch (CaptureFormatException e) {
                    problems.add(e.problem());
                    comments.add(source.name() + ": not merged: " + e.getMessage());
                }
            }
            writer = PcapngWriter.create(out, comments);
            out = null;
            long[] perSource = new long[k];
            int[][] outputIds = new int[k][];
            Packet[] heads = new Packet[k];
            for (int i = 0; i < k; i++) {
                outputIds[i] = new int[0];
                if (readers[i] != null) {
                    heads[i] = readers[i].next();
                }
            }
            long total = 0;
            while (true) {
                int best = -1;
                long bestTs = Long.MAX_VALUE;
                for (int i = 0; i < k; i++) {
                    if (heads[i] != null && (best < 0 || heads[i].timestampNanos() < bestTs)) {
                        best = i;
                        bestTs = heads[i].timestampNanos();
                    }
                }
                if (best < 0) {
                    break;
                }
                Packet p = heads[best];
                outputIds[best] = declareUpTo(writer, sources.get(best), readers[best], outputIds[best],
                        p.interfaceId());
                writer.writePacket(outputIds[best][p.interfaceId()], p, null);
                perSource[best]++;
                total++;
                heads[best] = readers[best].next();
            }
            for (int i = 0; i < k; i++) {
                if (readers[i] == null) {
                    continue;
                }
                CaptureReader r = readers[i];
                int declared = r.interfaces().size();
                if (declared > 0) {
                    outputIds[i] = declareUpTo(writer, sources.get(i), r, outputIds[i], declared - 1);
                }
                problems.addAll(r.problems());
                writeStatistics(writer, r, outputIds[i], sources.get(i).droppedPackets());
            }
            List<Long> counts = new ArrayList<>(k);
            for (long c : perSource) {
                counts.add(c);
            }
            return new MergeResult(total, counts, problems);
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            closeAll(writer, out, readers, failure);
        }
    }

    /** Declares output interfaces for the reader's input interfaces up to {@code id}, in input order. */
    private static int[] declareUpTo(PcapngWriter writer, MergeSource source, CaptureReader reader, int[] ids, int id)
            throws IOException {
        if (id < ids.length) {
            return ids;
        }
        List<CaptureInterface> inputs = reader.interfaces();
        int[] grown = Arrays.copyOf(ids, id + 1);
        for (int i = ids.length; i <= id; i++) {
            CaptureInterface in = inputs.get(i);
            String name = source.name();
            if (inputs.size() > 1) {
                name = source.name() + "/" + (in.name() != null ? in.name() : "#" + i);
            }
            String description = source.description();
            if (description == null && in.name() != null) {
                description = "interface " + in.name() + " of " + source.file().getFileName();
            }
            List<String> comments = new ArrayList<>(source.comments());
            comments.addAll(in.comments());
            grown[i] = writer.addInterface(in.linkTypeCode(), in.snapLength(), name, description, comments);
        }
        return grown;
    }

    /**
     * Closes each output interface with the input's last counters; the drops known for the source (tcpdump's
     * count, which a pcap input cannot carry) go to its first interface as {@code isb_osdrop}.
     */
    private static void writeStatistics(PcapngWriter writer, CaptureReader reader, int[] outputIds, long dropped)
            throws IOException {
        String comment = null;
        if (!reader.complete()) {
            StringBuilder sb = new StringBuilder("incomplete capture:");
            for (CaptureProblem problem : reader.problems()) {
                if (problem.losesPackets()) {
                    sb.append(' ').append(problem.message());
                }
            }
            comment = sb.toString();
        }
        for (int i = 0; i < outputIds.length; i++) {
            InterfaceStatistics last = null;
            for (InterfaceStatistics s : reader.statistics()) {
                if (s.interfaceId() == i) {
                    last = s;
                }
            }
            long osDropped = i == 0 && dropped >= 0 ? dropped : last == null ? -1 : last.osDropped();
            if (last == null && comment == null && osDropped < 0) {
                continue;
            }
            InterfaceStatistics counters = last == null
                    ? new InterfaceStatistics(outputIds[i], -1, -1, -1, -1, osDropped, -1)
                    : new InterfaceStatistics(outputIds[i], last.timestampNanos(), last.received(), last.dropped(),
                            last.filterAccepted(), osDropped, last.delivered());
            writer.writeStatistics(counters, comment);
        }
    }

    private static void closeAll(PcapngWriter writer, OutputStream out, CaptureReader[] readers, Throwable failure)
            throws IOException {
        IOException first = null;
        List<AutoCloseable> toClose = new ArrayList<>();
        for (CaptureReader r : readers) {
            if (r != null) {
                toClose.add(r);
            }
        }
        if (writer != null) {
            toClose.add(writer);
        } else if (out != null) {
            toClose.add(out);
        }
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else if (first == null) {
                    first = e instanceof IOException ? (IOException) e : new IOException(e);
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
