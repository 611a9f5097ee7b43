package io.github.capturepackets.junit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * A throw-away HTTP server for the fixtures, on {@link #ADDRESS}: a loopback address of its own so the fixtures'
 * filter ({@code host 127.0.77.1}) keeps other processes' loopback traffic out of the captures. {@code /status/N}
 * answers with status N; anything else with 200.
 */
final class LocalHttp implements AutoCloseable {
    static final String ADDRESS = "127.0.77.1";
    static final String FILTER = "host " + ADDRESS;

    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    private LocalHttp(HttpServer server) {
        this.server = server;
    }

    static LocalHttp start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(ADDRESS, 0), 0);
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                int status = path.startsWith("/status/") ? Integer.parseInt(path.substring(8)) : 200;
                byte[] body = ("answer to " + path + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return new LocalHttp(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int get(String path) {
        try {
            URI uri = URI.create("http://" + ADDRESS + ":" + server.getAddress().getPort() + path);
            return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
