package io.github.capturepackets.analysis;

/** An address and port (port 0 for protocols without ports). */
public record Endpoint(String address, int port) {
    @Override
    public String toString() {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + (port > 0 ? ":" + port : "");
    }
}
