#!/usr/bin/env bash
# Records what node-level capture sees on a bridge: two pods (network namespaces a and b) on one bridge in a
# "node" namespace, and `tcpdump -i any host A` in the node, which gets every packet twice (on a's veth and on
# b's veth). Traffic: two HTTP GETs from a to a server in b, each on its own connection.
#
# usage: bridge-duplicates.sh OUT.pcap      (root: creates and always deletes its namespaces; about 2 s)
set -euo pipefail
out=$1
id=cpdup$$
node=$id-node a=$id-a b=$id-b
ip_a=10.99.0.1 ip_b=10.99.0.2

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  [ -n "${dump:-}" ] && kill "$dump" 2>/dev/null || true
  for ns in "$a" "$b" "$node"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
trap "exit 143" TERM INT

for ns in "$node" "$a" "$b"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$node" link add br0 type bridge
ip -n "$node" link set br0 up
for pod in a b; do
  ns=$id-$pod
  ip -n "$node" link add "v$pod-h" type veth peer name eth0 netns "$ns"
  ip -n "$node" link set "v$pod-h" master br0 up
  addr=$([ "$pod" = a ] && echo "$ip_a" || echo "$ip_b")
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
done

err=$(mktemp)
ip netns exec "$node" tcpdump -i any --immediate-mode -B 8192 -U -w "$out" "host $ip_a" 2>"$err" &
dump=$!
for _ in $(seq 100); do grep -q "listening on" "$err" && break; sleep 0.05; done
grep -q "listening on" "$err" || { cat "$err" >&2; exit 1; }

ip netns exec "$b" python3 -m http.server --bind "$ip_b" 8080 >/dev/null 2>&1 &
server=$!
ip netns exec "$a" python3 - "$ip_b" <<'EOF'
import sys, time, urllib.request
url = "http://%s:8080/" % sys.argv[1]
for attempt in range(100):
    try:
        urllib.request.urlopen(url, timeout=2).read()
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("the server in the second namespace never answered")
urllib.request.urlopen(url + "?second", timeout=2).read()
EOF
sleep 0.3
kill -INT "$dump"
wait "$dump" || true
dump=
grep -E "packets (captured|received|dropped)" "$err" >&2 || true
rm -f "$err"
