package io.github.capturepackets.analysis;

import java.util.Objects;

/** An address and port (port 0 for protocols without ports). */
public record Endpoint(String address, int port) {
    // equals and hashCode written out, as in FlowSummary: no method-handle bootstrap at first use.

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && e.port == port && Objects.equals(e.address, address);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(address) + port;
    }

    @Override
    public String toString() {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + (port > 0 ? ":" + port : "");
    }
}
