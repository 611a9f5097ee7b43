package io.github.capturepackets.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads an input on a thread of its own into a small pool of buffers, so that the system calls and the copy out
 * of the page cache overlap with the reader's parsing and the analysis instead of adding to them (about a third
 * of a full read of a large file on two cores).
 *
 * <p>Each buffer keeps {@link #HEADROOM} bytes free before its data: when the reader moves to the next buffer,
 * it copies the unparsed tail of the current one (less than one block, since no block the reader parses is
 * longer than the headroom) in front of the new data, so records that straddle two reads stay contiguous
 * without copying the data itself. Memory is bounded by the pool: {@link #BUFFERS} buffers, whatever the input.
 */
final class ReadAhead implements AutoCloseable, Runnable {
    /** Room for the unparsed tail of the previous buffer: the longest block the reader parses in memory. */
    static final int HEADROOM = CaptureReader.MAX_PARSED_BLOCK;
    static final int DEFAULT_CHUNK = 1024 * 1024;
    static final int BUFFERS = 6;

    /** A filled buffer: data in {@code buffer[HEADROOM, HEADROOM + length)}. */
    record Chunk(byte[] buffer, int length, IOException error) {
    }

    private static final Chunk END = new Chunk(null, 0, null);

    private final InputStream in;
    private final int chunk;
    private final BlockingQueue<byte[]> free;
    private final BlockingQueue<Chunk> filled;
    private final Thread thread;
    /** Buffers made so far (by the read-ahead thread, as it needs them: the opening thread has better to do). */
    private int created;
    private volatile boolean stopped;
    private boolean ended;

    ReadAhead(InputStream in, String name, int chunk) {
        this.in = in;
        this.chunk = chunk;
        free = new ArrayBlockingQueue<>(BUFFERS);
        filled = new ArrayBlockingQueue<>(BUFFERS + 1);
        thread = new Thread(this, "capture-packets read-ahead: " + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether {@code buffer} came from this pool (and may be given back with {@link #release}). */
    boolean pooled(byte[] buffer) {
        return buffer.length == HEADROOM + chunk;
    }

    /**
     * The next filled buffer, waiting for it if need be; null at the end of the input.
     *
     * @throws IOException as reading the input threw it
     */
    Chunk next() throws IOException {
        if (ended) {
            return null;
        }
        Chunk c;
        try {
            c = filled.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for input", e);
        }
        if (c == END || c.error() != null) {
            ended = true;
            if (c.error() != null) {
                throw c.error();
            }
            return null;
        }
        return c;
    }

    /** Gives a buffer from {@link #next} back for reuse; the caller no longer reads it. */
    void release(byte[] buffer) {
        free.offer(buffer);
    }

    /** The read-ahead thread's loop (a Runnable rather than a lambda: no class to spin at start-up). */
    @Override
    public void run() {
        try {
            while (!stopped) {
                byte[] buffer = free.poll();
                if (buffer == null && created < BUFFERS) {
                    buffer = new byte[HEADROOM + chunk];
                    created++;
                } else if (buffer == null) {
                    buffer = free.take();
                }
                int n = 0;
                boolean eof = false;
                IOException error = null;
                try {
                    while (n < chunk) {
                        int r = in.read(buffer, HEADROOM + n, chunk - n);
                        if (r < 0) {
                            eof = true;
                            break;
                        }
                        n += r;
                    }
                } catch (IOException | RuntimeException e) {
                    // The bytes read before the failure are delivered first, as a reader on one thread would.
                    error = e instanceof IOException io ? io : new IOException(e.toString(), e);
                }
                if (n > 0) {
                    filled.put(new Chunk(buffer, n, null));
                } else {
                    free.put(buffer);
                }
                if (error != null) {
                    if (!stopped) {
                        filled.put(new Chunk(null, 0, error));
                    }
                    return;
                }
                if (eof) {
                    filled.put(END);
                    return;
                }
            }
        } catch (InterruptedException e) {
            // Closed: the reader wants nothing more.
        }
    }

    /** Stops the thread and waits (briefly) for it to end; the caller then closes the input. */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
