package io.github.capturepackets.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small shop: an HTTP API on the JDK's own server, and a legacy payment endpoint that resets every connection
 * (as a crashing or overloaded backend does). {@code GET /health} answers 200, {@code GET /checkout} answers 500
 * (the payment backend is down), anything else 404.
 */
public final class ShopService implements AutoCloseable {
    private final HttpServer http;
    private final ServerSocket payments;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    private ShopService(HttpServer http, ServerSocket payments) {
        this.http = http;
        this.payments = payments;
    }

    /** Starts both listeners on free ports of {@code address}. */
    public static ShopService start(String address) {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(address, 0), 0);
            ServerSocket payments = new ServerSocket(0, 50, InetAddress.getByName(address));
            ShopService service = new ShopService(http, payments);
            http.createContext("/", service::handle);
            http.setExecutor(service.executor);
            http.start();
            service.executor.execute(service::acceptPayments);
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the shop on " + address, e);
        }
    }

    public String baseUrl() {
        return "http://" + http.getAddress().getHostString() + ":" + http.getAddress().getPort();
    }

    public InetSocketAddress paymentsAddress() {
        return new InetSocketAddress(payments.getInetAddress(), payments.getLocalPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        int status;
        String body;
        switch (path) {
            case "/health" -> {
                status = 200;
                body = "ok\n";
            }
            case "/checkout" -> {
                status = 500;
                body = "payment backend unavailable\n";
            }
            default -> {
                status = 404;
                body = "no such page\n";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    /** Reads what the client sends, then closes with SO_LINGER 0: the kernel answers with a RST. */
    private void acceptPayments() {
        while (!payments.isClosed()) {
            try (Socket socket = payments.accept()) {
                socket.setSoLinger(true, 0);
                InputStream in = socket.getInputStream();
                in.read(new byte[4096]);
            } catch (IOException e) {
                if (payments.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        try {
            payments.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            executor.shutdownNow();
        }
    }
}
