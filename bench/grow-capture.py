#!/usr/bin/env python3
"""Grows a real LINUX_SLL2 capture into a big one by concatenating shifted copies (stdlib only).

usage: grow-capture.py SEED.pcap OUT.pcap TARGET_BYTES

Copy k (k = 0, 1, ...) is the seed with every timestamp moved k * (seed duration + 1 s) later, and the
client (10.77.1.0/24, fd77:1::/64) and server (10.77.2.0/24, fd77:2::/64) addresses of each packet moved
apart: the client's first 16-bit word + k, the server's - k (10.77.1.2 -> 10.(77+k).1.2, 10.77.2.2 ->
10.(77-k).2.2). Flows of different copies stay distinct, and because one word grows by what the other
shrinks, the one's-complement sums in IPv4 header and TCP/UDP/ICMPv6 checksums stay valid unchanged.
Packets that are not client<->server (ARP, neighbour discovery) are copied unchanged.
"""
import struct
import sys

LINUX_SLL2 = 276
SLL2_HEADER = 20


def read_seed(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit("%s: not a little-endian pcap file (magic %#x)" % (path, magic))
    linktype = struct.unpack_from("<I", data, 20)[0]
    if linktype != LINUX_SLL2:
        raise SystemExit("%s: link type %d, expected LINUX_SLL2 (276)" % (path, linktype))
    return data


def plan(data):
    """Offsets to patch: every record's ts_sec, and (client word, server word) of client<->server packets."""
    ts_offsets = []
    pairs = []  # (offset of client word, offset of server word)
    pos = 24
    first = last = None
    while pos + 16 <= len(data):
        sec, _, caplen, _ = struct.unpack_from("<IIII", data, pos)
        first = sec if first is None else first
        last = sec
        ts_offsets.append(pos)
        frame = pos + 16
        if caplen >= SLL2_HEADER:
            proto = struct.unpack_from(">H", data, frame)[0]
            ip = frame + SLL2_HEADER
            if proto == 0x0800 and caplen >= SLL2_HEADER + 20:
                src, dst = ip + 12, ip + 16
                pair = v4_pair(data, src, dst)
                if pair:
                    pairs.append(pair)
            elif proto == 0x86DD and caplen >= SLL2_HEADER + 40:
                src, dst = ip + 8, ip + 24
                pair = v6_pair(data, src, dst)
                if pair:
                    pairs.append(pair)
        pos = frame + caplen
    if pos != len(data):
        raise SystemExit("seed capture ends in a truncated record at offset %d" % pos)
    return ts_offsets, pairs, (last - first) if first is not None else 0


def v4_pair(data, src, dst):
    def net(o):
        return data[o:o + 3]
    if net(src) == b"\x0a\x4d\x01" and net(dst) == b"\x0a\x4d\x02":
        return src, dst
    if net(src) == b"\x0a\x4d\x02" and net(dst) == b"\x0a\x4d\x01":
        return dst, src
    return None


V6_CLIENT = bytes.fromhex("fd77000100000000")
V6_SERVER = bytes.fromhex("fd77000200000000")


def v6_pair(data, src, dst):
    def net(o):
        return data[o:o + 8]
    if net(src) == V6_CLIENT and net(dst) == V6_SERVER:
        return src, dst
    if net(src) == V6_SERVER and net(dst) == V6_CLIENT:
        return dst, src
    return None


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    seed_path, out_path, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = read_seed(seed_path)
    ts_offsets, pairs, duration = plan(data)
    body = len(data) - 24
    copies = max(1, -(-target // body))
    if copies > 77:
        raise SystemExit("need %d copies of a %d-byte seed; at most 77 fit the address shift: make a bigger seed"
                         % (copies, body))
    step = duration + 1
    with open(out_path, "wb") as out:
        out.write(data[:24])
        for k in range(copies):
            copy = bytearray(data)
            if k:
                for off in ts_offsets:
                    struct.pack_into("<I", copy, off, struct.unpack_from("<I", copy, off)[0] + k * step)
                for client, server in pairs:
                    struct.pack_into(">H", copy, client, struct.unpack_from(">H", copy, client)[0] + k)
                    struct.pack_into(">H", copy, server, struct.unpack_from(">H", copy, server)[0] - k)
            out.write(memoryview(copy)[24:])
    print("%d %d %d" % (copies * len(ts_offsets), 24 + copies * body, copies))


if __name__ == "__main__":
    main()
