#!/usr/bin/env python3
"""Servers and clients that make real network faults for make-captures.sh (stdlib only).

`serve` runs every server in the server namespace; the other sub-commands are the clients of one
scenario each, run in the client namespace. Counts are fixed so that a capture's faults are countable;
the expected counts are written next to each client below.
"""
import argparse
import http.client
import http.server
import os
import random
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

V4 = "10.77.2.2"
V6 = "fd77:2::2"
# SO_MAX_PACING_RATE (Linux): bulk senders pace themselves so four tcpdumps on two shared cores keep up.
SO_MAX_PACING_RATE = getattr(socket, "SO_MAX_PACING_RATE", 47)
PACING = 8_000_000  # bytes per second


def pace(sock):
    sock.setsockopt(socket.SOL_SOCKET, SO_MAX_PACING_RATE, PACING)


# ---------------------------------------------------------------- DNS

A, AAAA = 1, 28
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5

# name -> (rcode, delay seconds, {qtype: address}); a name absent from the table is NXDOMAIN.
DNS_ZONE = {
    "ok.example.test": (NOERROR, 0.0, {A: "10.77.2.10", AAAA: "fd77:2::10"}),
    "slow.example.test": (NOERROR, 0.25, {A: "10.77.2.11", AAAA: "fd77:2::11"}),
    "fail.example.test": (SERVFAIL, 0.0, {}),
    "refused.example.test": (REFUSED, 0.0, {}),
    # Kubernetes service names as a pod in namespace "default" resolves them.
    "web.default.svc.cluster.local": (NOERROR, 0.0, {A: "10.96.0.20", AAAA: "fd96::20"}),
    "db.payments.svc.cluster.local": (NOERROR, 0.0, {A: "10.96.0.30", AAAA: "fd96::30"}),
    "registry.example.test": (NOERROR, 0.0, {A: "10.77.2.12", AAAA: "fd77:2::12"}),
}
DNS_SILENT = {"lost.example.test"}  # never answered
SEARCH = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]


def dns_encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(qid, name, qtype):
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD
    return header + dns_encode_name(name) + struct.pack("!HH", qtype, 1)


def dns_parse_question(msg):
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    pos, labels = 12, []
    while msg[pos]:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[pos + 1:pos + 5])
    return qid, flags, ".".join(labels).lower(), qtype, msg[12:pos + 5]


def dns_answer(msg):
    """Returns (reply bytes or None, delay)."""
    qid, flags, name, qtype, question = dns_parse_question(msg)
    if name in DNS_SILENT:
        return None, 0.0
    rcode, delay, records = DNS_ZONE.get(name, (NXDOMAIN, 0.0, {}))
    answers = b""
    count = 0
    if rcode == NOERROR and qtype in records:
        if qtype == A:
            rdata = socket.inet_pton(socket.AF_INET, records[qtype])
        else:
            rdata = socket.inet_pton(socket.AF_INET6, records[qtype])
        answers = b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 30, len(rdata)) + rdata
        count = 1
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA RD RA
    header = struct.pack("!HHHHHH", qid, rflags, 1, count, 0, 0)
    return header + question + answers, delay


def serve_dns_udp(family, addr):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, 53))

    def reply(data, peer):
        answer, delay = dns_answer(data)
        if answer is not None:
            if delay:
                time.sleep(delay)
            sock.sendto(answer, peer)

    while True:
        data, peer = sock.recvfrom(4096)
        threading.Thread(target=reply, args=(data, peer), daemon=True).start()


class DnsTcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            head = recv_exact(self.request, 2)
            if not head:
                return
            data = recv_exact(self.request, struct.unpack("!H", head)[0])
            answer, delay = dns_answer(data)
            if answer is None:
                continue
            time.sleep(delay + 0.02)
            self.request.sendall(struct.pack("!H", len(answer)) + answer)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return b""
        buf += chunk
    return buf


# ---------------------------------------------------------------- HTTP

class HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # one write per small response; handle_one_request flushes

    def setup(self):
        pace(self.request)
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def respond(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[0] == "status":
            code = int(parts[1])
            self.respond(code, ("status %d\n" % code).encode())
        elif parts[0] == "delay":
            time.sleep(int(parts[1]) / 1000.0)
            self.respond(200, b"slow\n")
        elif parts[0] == "bytes":
            self.respond(200, os.urandom(16) * (int(parts[1]) // 16))
        else:
            self.respond(404, b"not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        remaining = length
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)
        self.respond(200, ("received %d\n" % length).encode())


class DualStackHttpServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class DualStackTcpServer(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


# ---------------------------------------------------------------- raw TCP servers

class ResetHandler(socketserver.BaseRequestHandler):
    """Reads the request, sends half a response, then aborts: SO_LINGER 0 close sends RST."""

    def handle(self):
        self.request.recv(4096)
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
        time.sleep(0.05)
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()


class SinkHandler(socketserver.BaseRequestHandler):
    """A consumer that stalls for 1.5 s (the window closes to zero), then drains everything."""

    def handle(self):
        time.sleep(1.5)
        while self.request.recv(1 << 16):
            pass


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class SmallBufferServer(DualStackTcpServer):
    def server_bind(self):
        # Inherited by accepted sockets: a tiny receive buffer fills fast and advertises a zero window.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        super().server_bind()


# ---------------------------------------------------------------- TLS

class TlsHandler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            tls = self.server.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            data = tls.recv(4096)
            if data:
                body = b"hello over tls\n"
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                            % (len(body), body))
            tls.recv(4096)  # the client closes first
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()


def tls_server(port, certdir, max_version):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = max_version
    context.load_cert_chain(os.path.join(certdir, "server.pem"), os.path.join(certdir, "server.key"))
    server = DualStackTcpServer(("::", port), TlsHandler)
    server.context = context
    return server


# ---------------------------------------------------------------- serve

def serve(args):
    servers = [
        DualStackHttpServer(("::", 8080), HttpHandler),
        DualStackHttpServer(("::", 9090), HttpHandler),
        DualStackTcpServer(("::", 8090), ResetHandler),
        SmallBufferServer(("::", 8070), SinkHandler),
        DualStackTcpServer(("::", 8060), EchoHandler),
        DualStackTcpServer(("::", 53), DnsTcpHandler),
        tls_server(443, args.certs, ssl.TLSVersion.TLSv1_2),
        tls_server(8443, args.certs, ssl.TLSVersion.TLSv1_3),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    for family, addr in ((socket.AF_INET, V4), (socket.AF_INET6, V6)):
        threading.Thread(target=serve_dns_udp, args=(family, addr), daemon=True).start()
    time.sleep(0.2)
    with open(args.ready, "w") as f:
        f.write("ready\n")
    while True:
        time.sleep(3600)


# ---------------------------------------------------------------- clients

def connect(host, port, timeout=3.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    pace(sock)
    sock.connect((host, port))
    return sock


def refused(host, times):
    for _ in range(times):
        try:
            connect(host, 8099).close()
            raise SystemExit("port 8099 unexpectedly open on " + host)
        except ConnectionRefusedError:
            pass


def reset_mid_stream(host, times):
    for _ in range(times):
        sock = connect(host, 8090)
        sock.sendall(b"GET /download HTTP/1.1\r\nHost: reset\r\n\r\n")
        try:
            while sock.recv(4096):
                pass
            raise SystemExit("expected a reset from %s:8090" % host)
        except ConnectionResetError:
            pass
        finally:
            sock.close()


def http_session(host, port, requests):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.sock = connect(host, port, timeout=10)
    statuses = []
    for method, path, body in requests:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.close()
    return statuses


def client_resets(args):
    # Expected RST frames: 3 + 2 refused (one RST/ACK each) + 2 + 1 mid-stream = 8.
    refused(V4, 3)
    refused(V6, 2)
    reset_mid_stream(V4, 2)
    reset_mid_stream(V6, 1)


def client_loss(args):
    # Bulk HTTP both ways through a router dropping ~4 % of port-8080 segments in each direction.
    size = args.size
    http_session(V4, 8080, [("GET", "/bytes/%d" % size, None)])
    http_session(V4, 8080, [("POST", "/upload", os.urandom(16) * (size // 16))])
    http_session(V6, 8080, [("GET", "/bytes/%d" % size, None),
                            ("POST", "/upload", os.urandom(16) * (size // 16))])


def syn_never_answered(host):
    try:
        connect(host, 8081, timeout=2.5).close()
        raise SystemExit("port 8081 unexpectedly answered on " + host)
    except (socket.timeout, TimeoutError):
        pass


def client_unanswered(args):
    # SYNs to 8081 are dropped by the router: each attempt is a SYN plus its 1 s retransmission.
    threads = [threading.Thread(target=syn_never_answered, args=(h,)) for h in (V4, V6)]
    for t in threads:
        t.start()
    # A connection that stays open past the end of the capture (the script kills this client later).
    sock = connect(V4, 8060)
    sock.sendall(b"still here\n")
    sock.recv(4096)
    for t in threads:
        t.join()
    with open(args.ready, "w") as f:
        f.write("open\n")
    time.sleep(60)


def client_zero_window(args):
    sock = connect(V4, 8070, timeout=10)
    payload = os.urandom(1 << 16)
    sent = 0
    while sent < args.size:
        sock.sendall(payload)
        sent += len(payload)
    sock.shutdown(socket.SHUT_WR)
    sock.recv(1)
    sock.close()


def dns_udp(server, name, qtype, timeout=0.5):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    qid = random.randrange(1, 65536)
    sock.sendto(dns_query(qid, name, qtype), (server, 53))
    try:
        while True:
            data = sock.recv(4096)
            if struct.unpack("!H", data[:2])[0] == qid:
                return struct.unpack("!H", data[2:4])[0] & 0xF, struct.unpack("!H", data[6:8])[0]
    except (socket.timeout, TimeoutError):
        return None
    finally:
        sock.close()


def dns_tcp(server, queries):
    sock = connect(server, 53)
    results = []
    for name, qtype in queries:
        msg = dns_query(random.randrange(1, 65536), name, qtype)
        sock.sendall(struct.pack("!H", len(msg)) + msg)
        length = struct.unpack("!H", recv_exact(sock, 2))[0]
        data = recv_exact(sock, length)
        results.append(struct.unpack("!H", data[2:4])[0] & 0xF)
    sock.close()
    return results


def resolve_like_a_pod(server, name):
    """glibc with ndots:5: each search suffix first (A and AAAA), then the name as given."""
    candidates = [name + "." + s for s in SEARCH] if name.count(".") < 5 else []
    candidates.append(name)
    for candidate in candidates:
        answers = [dns_udp(server, candidate, qtype) for qtype in (A, AAAA)]
        if all(a is not None and a[0] == NOERROR for a in answers):
            return candidate
    return None


def client_dns(args):
    expect = {
        ("ok.example.test", A): NOERROR,
        ("ok.example.test", AAAA): NOERROR,
        ("slow.example.test", A): NOERROR,
        ("nx.example.test", A): NXDOMAIN,
        ("nx.example.test", AAAA): NXDOMAIN,
        ("fail.example.test", A): SERVFAIL,
        ("refused.example.test", A): REFUSED,
        ("lost.example.test", A): None,
        ("lost.example.test", AAAA): None,
    }
    for (name, qtype), rcode in expect.items():
        got = dns_udp(V4, name, qtype)
        if (got[0] if got else None) != rcode:
            raise SystemExit("DNS %s/%d: expected %s got %s" % (name, qtype, rcode, got))
    # Over IPv6: one NOERROR, one SERVFAIL, one never answered.
    dns_udp(V6, "ok.example.test", AAAA)
    dns_udp(V6, "fail.example.test", AAAA)
    dns_udp(V6, "lost.example.test", A)
    # DNS over TCP: one NOERROR and one NXDOMAIN on the same connection.
    if dns_tcp(V4, [("ok.example.test", A), ("nx.example.test", A)]) != [NOERROR, NXDOMAIN]:
        raise SystemExit("DNS over TCP gave unexpected codes")
    # Search-domain expansion: web (first suffix), db.payments (second), registry.example.test
    # (three NXDOMAIN suffixes, then absolute), missing-svc (NXDOMAIN everywhere: a real failure).
    for name, want in (("web", "web.default.svc.cluster.local"),
                       ("db.payments", "db.payments.svc.cluster.local"),
                       ("registry.example.test", "registry.example.test"),
                       ("missing-svc", None)):
        got = resolve_like_a_pod(V4, name)
        if got != want:
            raise SystemExit("search expansion of %s: expected %s got %s" % (name, want, got))


def client_http(args):
    get = lambda path: ("GET", path, None)
    checks = [
        (V4, 8080, [get("/status/200"), get("/status/404"), get("/status/500"), get("/status/503"),
                    get("/delay/250"), get("/status/200")], [200, 404, 500, 503, 200, 200]),
        (V6, 8080, [get("/status/200"), get("/status/503"), get("/status/503"),
                    ("POST", "/upload", b"x" * 3000)], [200, 503, 503, 200]),
        (V4, 9090, [get("/status/200"), get("/status/404"), get("/delay/200"), get("/status/500")],
         [200, 404, 200, 500]),
    ]
    for host, port, requests, want in checks:
        got = http_session(host, port, requests)
        if got != want:
            raise SystemExit("HTTP %s:%d: expected %s got %s" % (host, port, want, got))


def tls_client(host, port, cafile, sni, minimum, maximum, expect_error, close_notify=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile)
    context.minimum_version = minimum
    context.maximum_version = maximum
    sock = connect(host, port)
    try:
        tls = context.wrap_socket(sock, server_hostname=sni)
    except ssl.SSLError as e:
        sock.close()
        if expect_error and expect_error in str(e):
            return
        raise SystemExit("TLS %s:%d: expected %s, got %s" % (host, port, expect_error, e))
    if expect_error:
        raise SystemExit("TLS %s:%d: handshake unexpectedly succeeded" % (host, port))
    tls.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % sni.encode())
    tls.recv(4096)
    if close_notify:
        tls.unwrap()
    tls.close()


def client_tls(args):
    ca = os.path.join(args.certs, "ca.pem")
    other_ca = os.path.join(args.certs, "other-ca.pem")
    v12, v13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    # Unknown CA: the client trusts another CA and sends a plaintext alert (TLS 1.2 keeps it visible).
    tls_client(V4, 443, other_ca, "web.example.test", v12, v12, "CERTIFICATE_VERIFY_FAILED")
    tls_client(V6, 443, other_ca, "web.example.test", v12, v12, "CERTIFICATE_VERIFY_FAILED")
    # Protocol version: the client insists on TLS 1.3, the port-443 server stops at 1.2.
    tls_client(V4, 443, ca, "web.example.test", v13, v13, "VERSION")
    # Successful handshakes with SNI; the 1.2 one closes with an (encrypted) close_notify alert.
    tls_client(V4, 443, ca, "web.example.test", v12, v12, None, close_notify=True)
    tls_client(V4, 8443, ca, "api.example.test", v12, v13, None)
    tls_client(V6, 8443, ca, "api.example.test", v12, v13, None)


def udp_probe(host, port, ttl=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if ttl is not None:
        if family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    sock.sendto(b"probe", (host, port))
    sock.close()
    time.sleep(0.05)


def client_icmp(args):
    # Port unreachable from the server: 3 over IPv4 (ICMP 3/3), 3 over IPv6 (ICMPv6 1/4).
    for host in (V4, V6):
        for _ in range(3):
            udp_probe(host, 9999)
    # Network unreachable from the router (no route to 10.77.9.0/24 / fd77:9::/64): ICMP 3/0, ICMPv6 1/0.
    udp_probe("10.77.9.9", 9999)
    udp_probe("fd77:9::9", 9999)
    # Time exceeded from the router: TTL / hop limit 1 (ICMP 11, ICMPv6 3).
    udp_probe(V4, 9999, ttl=1)
    udp_probe(V6, 9999, ttl=1)


def client_ipv6(args):
    # IPv6 only, several kinds of TCP conversation side by side.
    http_session(V6, 8080, [("GET", "/status/200", None), ("GET", "/status/404", None),
                            ("GET", "/bytes/300000", None), ("GET", "/status/500", None)])
    http_session(V6, 9090, [("GET", "/status/200", None), ("GET", "/status/503", None)])
    refused(V6, 2)
    reset_mid_stream(V6, 1)
    sock = connect(V6, 8060)
    for _ in range(5):
        sock.sendall(b"ping\n")
        sock.recv(4096)
    sock.close()
    tls_client(V6, 8443, os.path.join(args.certs, "ca.pem"), "api.example.test",
               ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3, None)


def client_bench_mix(args):
    """Varied traffic for the benchmark seed: mostly small HTTP exchanges, DNS, some bulk with loss,
    some resets and TLS, over IPv4 and IPv6, for args.seconds."""
    deadline = time.time() + args.seconds
    ca = os.path.join(args.certs, "ca.pem")
    rng = random.Random(7)
    paths = ["/status/200"] * 14 + ["/status/404", "/status/500", "/status/503", "/bytes/1600", "/bytes/400"]

    def keep_alive(host, port):
        r = random.Random(host + str(port))
        while time.time() < deadline:
            try:
                http_session(host, port, [("GET", r.choice(paths), None) for _ in range(r.randint(1, 30))])
            except OSError:
                pass

    def dns_loop(host):
        names = ["ok.example.test", "slow.example.test", "nx.example.test", "fail.example.test",
                 "refused.example.test", "web", "db.payments", "registry.example.test", "missing-svc"]
        r = random.Random(host)
        while time.time() < deadline:
            name = r.choice(names)
            if "." in name and name.endswith(".test"):
                dns_udp(host, name, r.choice((A, AAAA)), timeout=0.3)
            else:
                resolve_like_a_pod(host, name)
        dns_udp(host, "lost.example.test", A, timeout=0.05)

    def bulk(host):
        while time.time() < deadline:
            try:
                http_session(host, 9090, [("GET", "/bytes/200000", None)])
            except OSError:
                pass
            time.sleep(0.5)

    def faults():
        while time.time() < deadline:
            host = rng.choice((V4, V6))
            try:
                refused(host, 1)
                reset_mid_stream(host, 1)
                tls_client(host, 8443, ca, "api.example.test", ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3, None)
                tls_client(host, 443, os.path.join(args.certs, "other-ca.pem"), "web.example.test",
                           ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, "CERTIFICATE_VERIFY_FAILED")
            except (OSError, SystemExit):
                pass
            time.sleep(0.2)

    workers = [threading.Thread(target=keep_alive, args=(V4, 8080)),
               threading.Thread(target=keep_alive, args=(V4, 8080)),
               threading.Thread(target=keep_alive, args=(V6, 8080)),
               threading.Thread(target=dns_loop, args=(V4,)),
               threading.Thread(target=dns_loop, args=(V6,)),
               threading.Thread(target=bulk, args=(V4,)),
               threading.Thread(target=bulk, args=(V6,)),
               threading.Thread(target=faults)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


CLIENTS = {
    "bench-mix": client_bench_mix,
    "resets": client_resets,
    "loss": client_loss,
    "unanswered": client_unanswered,
    "zero-window": client_zero_window,
    "dns": client_dns,
    "http": client_http,
    "tls": client_tls,
    "icmp": client_icmp,
    "ipv6": client_ipv6,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["serve"] + sorted(CLIENTS))
    parser.add_argument("--certs")
    parser.add_argument("--ready")
    parser.add_argument("--size", type=int, default=3_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
    else:
        CLIENTS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
