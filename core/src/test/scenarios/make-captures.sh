#!/usr/bin/env bash
# Makes real captures of real network faults: real tcpdump, real kernel TCP/IP, real servers and clients,
# all inside throw-away network namespaces (client <-> router with nftables <-> server), IPv4 and IPv6.
#
# usage: make-captures.sh OUTDIR [SCENARIO...]   (root; needs ip, nft, tcpdump, openssl, python3)
#
# Without SCENARIO it makes every default scenario; "bench-mix" (the benchmark's seed) only when named.
# Writes OUTDIR/<scenario>/<view>.pcap for every scenario and view, and OUTDIR/manifest.tsv
# (scenario, view, file, link type, packets). Views: ethernet (client veth), linux_sll2 (client -i any),
# linux_sll (client -i any -y LINUX_SLL), server-ethernet (server veth: the real sender's view).
# Exit status 77 means "cannot run here" (not root, a tool missing): callers skip rather than fail.
#
# Not producible on this kernel: delay and reordering by netem (sch_netem is missing). Loss comes from
# nftables in the router; latency from servers that sleep before answering (DNS "slow", HTTP /delay).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/scenario_tools.py
PREFIX=cpcap

# skip WHAT WHY: the last line is "needs WHAT: WHY", the reason ScenarioCaptures gives JUnit (testing.Needs).
skip() { local what=$1; shift; echo "needs $what: $* (make-captures cannot run here)" >&2; exit 77; }
die() { echo "make-captures: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 OUTDIR [SCENARIO...]"
DEFAULT_SCENARIOS=(tcp-resets tcp-loss tcp-unanswered tcp-zero-window dns http tls icmp ipv6)
SELECTED=("${@:2}")
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${DEFAULT_SCENARIOS[@]}")
for scenario in "${SELECTED[@]}"; do
  case " ${DEFAULT_SCENARIOS[*]} bench-mix " in
    *" $scenario "*) ;;
    *) die "unknown scenario '$scenario' (known: ${DEFAULT_SCENARIOS[*]} bench-mix)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || skip root "network namespaces and tcpdump need it; run the tests as root"
for tool in ip nft tcpdump openssl timeout; do
  command -v "$tool" >/dev/null || skip "$tool" "'$tool' is missing (apt-get install -y iproute2 nftables tcpdump openssl)"
done
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3) || skip python3 "'python3' is missing (apt-get install -y python3)"

OUT=$(mkdir -p "$1" && cd "$1" && pwd)
# Unique per run (pid + random) so parallel and aborted runs never collide; the pid lets a later run
# recognise namespaces whose creator died without cleaning up.
ID="$PREFIX-$$-$RANDOM"
NSC=$ID-c
NSR=$ID-r
NSS=$ID-s
WORK=$(mktemp -d "${TMPDIR:-/tmp}/$ID.XXXXXX")
BG=()

cleanup() {
  local rc=$?
  set +e
  for pid in "${BG[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${BG[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "$NSC" "$NSR" "$NSS"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Namespaces left by runs that were killed before their trap ran.
for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-" || true); do
  creator=$(echo "$ns" | cut -d- -f2)
  if ! kill -0 "$creator" 2>/dev/null; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  fi
done

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ------------------------------------------------------------------ topology
#   client 10.77.1.2 fd77:1::2  --  10.77.1.1 fd77:1::1  router  10.77.2.1 fd77:2::1  --  server 10.77.2.2 fd77:2::2
ip netns add "$NSC"
ip netns add "$NSR"
ip netns add "$NSS"
ip link add eth0 netns "$NSC" type veth peer name c0 netns "$NSR"
ip link add eth0 netns "$NSS" type veth peer name s0 netns "$NSR"
for ns in "$NSC" "$NSR" "$NSS"; do
  nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0 \
    net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  ip -n "$ns" link set lo up
done
nsx "$NSR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# One MSS per packet, as on a real wire: no 64 KB GSO super-packets in the captures, and the router's
# random drops hit single segments.
ip -n "$NSC" link set eth0 gso_max_segs 1
ip -n "$NSS" link set eth0 gso_max_segs 1
ip -n "$NSR" link set c0 gso_max_segs 1
ip -n "$NSR" link set s0 gso_max_segs 1
ip -n "$NSC" addr add 10.77.1.2/24 dev eth0
ip -n "$NSC" addr add fd77:1::2/64 dev eth0 nodad
ip -n "$NSR" addr add 10.77.1.1/24 dev c0
ip -n "$NSR" addr add fd77:1::1/64 dev c0 nodad
ip -n "$NSR" addr add 10.77.2.1/24 dev s0
ip -n "$NSR" addr add fd77:2::1/64 dev s0 nodad
ip -n "$NSS" addr add 10.77.2.2/24 dev eth0
ip -n "$NSS" addr add fd77:2::2/64 dev eth0 nodad
for link in "$NSC eth0" "$NSR c0" "$NSR s0" "$NSS eth0"; do
  set -- $link
  ip -n "$1" link set "$2" up
done
ip -n "$NSC" route add default via 10.77.1.1
ip -n "$NSC" -6 route add default via fd77:1::1
ip -n "$NSS" route add default via 10.77.2.1
ip -n "$NSS" -6 route add default via fd77:2::1

# The router: SYNs to 8081 vanish; the "loss" chain gets random-drop rules during the loss scenario.
nsx "$NSR" nft -f - <<'EOF'
table inet faults {
  chain loss {
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp dport 8081 drop
    jump loss
  }
}
EOF

# ------------------------------------------------------------------ certificates and servers
CERTS=$WORK/certs
mkdir -p "$CERTS"
(
  cd "$CERTS"
  for ca in ca other-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca.key" -out "$ca.pem" \
      -days 2 -subj "/CN=Capture Packets scenario $ca" 2>/dev/null
  done
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
    -subj "/CN=web.example.test" 2>/dev/null
  printf 'subjectAltName=DNS:web.example.test,DNS:api.example.test\nbasicConstraints=CA:FALSE\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
    -extfile server.ext 2>/dev/null
) || die "openssl could not make the test certificates"

wait_for_file() { # file seconds what
  local i
  for ((i = 0; i < $2 * 50; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.02
  done
  die "timed out waiting for $3"
}

ip netns exec "$NSS" "$PYTHON" "$TOOLS" serve --certs "$CERTS" --ready "$WORK/servers.ready" >"$WORK/servers.log" 2>&1 &
BG+=($!)
wait_for_file "$WORK/servers.ready" 10 "the servers (see $WORK/servers.log)"
# Fill the neighbour caches before anything is captured.
for server in 10.77.2.2 fd77:2::2; do
  nsx "$NSC" "$PYTHON" -c 'import socket, sys; socket.create_connection((sys.argv[1], 8060), 3).close()' "$server" ||
    die "no path from the client to the server at $server"
done

# ------------------------------------------------------------------ capturing
: >"$OUT/manifest.tsv"
CAPS=()
VIEWS=()
SCENARIO=
IMMEDIATE=--immediate-mode # as the capture engine runs tcpdump; off only for the bulky benchmark seed
AFTER_STOP=()              # pids a scenario leaves running until its captures have stopped

# run SCENARIO FUNCTION [VIEWS...]: captures FUNCTION's traffic in every view (default: all four).
# tcpdump in immediate mode can lose packets on a busy machine (small libpcap ring); such an attempt is
# discarded and the scenario replayed, up to 3 times, so no capture has holes the network did not make.
run() {
  local scenario=$1 function=$2 attempt
  shift 2
  for attempt in 1 2 3; do
    start_captures "$scenario" "$@"
    "$function"
    if stop_captures "$attempt"; then
      echo "make-captures: $scenario done" >&2
      return 0
    fi
    echo "make-captures: $scenario: tcpdump lost packets in the kernel (attempt $attempt), replaying" >&2
  done
  die "$scenario: unreachable"
}

start_captures() { # scenario [views...]
  SCENARIO=$1
  shift
  local views=("$@") view log i
  [ ${#views[@]} -gt 0 ] || views=(ethernet linux_sll2 linux_sll server-ethernet)
  mkdir -p "$OUT/$SCENARIO"
  CAPS=()
  VIEWS=()
  AFTER_STOP=()
  for view in "${views[@]}"; do
    case $view in
      ethernet) tcpdump_bg "$NSC" ethernet -i eth0 ;;
      linux_sll2) tcpdump_bg "$NSC" linux_sll2 -i any ;;
      linux_sll) tcpdump_bg "$NSC" linux_sll -i any -y LINUX_SLL ;;
      server-ethernet) tcpdump_bg "$NSS" server-ethernet -i eth0 ;;
    esac
  done
  for view in "${VIEWS[@]}"; do
    log=$OUT/$SCENARIO/$view.log
    for ((i = 0; i < 250; i++)); do
      grep -q "listening on" "$log" 2>/dev/null && continue 2
      sleep 0.02
    done
    die "tcpdump for $SCENARIO/$view did not start: $(cat "$log")"
  done
}

tcpdump_bg() { # ns view tcpdump-args...
  local ns=$1 view=$2
  shift 2
  # Not through nsx: a backgrounded function is a subshell, and SIGTERM must reach tcpdump itself.
  # Snap length 65535: no frame here is longer (one MSS per packet), and libpcap's ring slots are sized by it.
  ip netns exec "$ns" tcpdump -Z root $IMMEDIATE -U -n -s 65535 -B 131072 -w "$OUT/$SCENARIO/$view.pcap" "$@" \
    2>"$OUT/$SCENARIO/$view.log" &
  CAPS+=($!)
  BG+=($!)
  VIEWS+=("$view")
}

stop_captures() { # [attempt]: returns 1 when a tcpdump lost packets in the kernel, except on the 3rd attempt
  sleep 0.3 # the last FIN/ACKs
  local pid i view log packets dropped linktype lines=() lost=0
  kill -TERM "${CAPS[@]}"
  for pid in "${CAPS[@]}"; do wait "$pid" || die "tcpdump ($SCENARIO) exited with status $?"; done
  for pid in "${AFTER_STOP[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < ${#VIEWS[@]}; i++)); do
    view=${VIEWS[$i]}
    log=$OUT/$SCENARIO/$view.log
    packets=$(sed -n 's/^\([0-9]*\) packets\? captured.*/\1/p' "$log")
    dropped=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$log")
    [ -n "$packets" ] || die "tcpdump ($SCENARIO/$view) wrote no statistics: $(cat "$log")"
    [ "$dropped" = 0 ] || lost=1
    case $view in
      ethernet | server-ethernet) linktype=1 ;;
      linux_sll) linktype=113 ;;
      linux_sll2) linktype=276 ;;
    esac
    lines+=("$(printf '%s\t%s\t%s\t%s\t%s' "$SCENARIO" "$view" "$SCENARIO/$view.pcap" "$linktype" "$packets")")
  done
  [ "$lost" = 0 ] || [ "${1:-}" = 3 ] || return 1
  [ "$lost" = 0 ] || echo "make-captures: WARNING $SCENARIO: tcpdump lost packets in the kernel in all 3" \
    "attempts (machine overloaded?); keeping the last capture" >&2
  printf '%s\n' "${lines[@]}" >>"$OUT/manifest.tsv"
}

client() { # scenario-client args... (bounded in time)
  timeout 60 ip netns exec "$NSC" "$PYTHON" "$TOOLS" "$@" || die "client '$1' failed (status $?)"
}

# ------------------------------------------------------------------ scenarios
# tcp-resets: 5 refused connects (RST/ACK answering SYN; 3 IPv4, 2 IPv6) and 3 connections the server
# aborts mid-response with SO_LINGER 0 (2 IPv4, 1 IPv6): 8 RST frames.
scenario_tcp_resets() { client resets; }

# tcp-loss: ~4 % random loss each way on port 8080 while 3 MB go down and up over IPv4 and IPv6.
scenario_tcp_loss() {
  nsx "$NSR" nft add rule inet faults loss tcp dport 8080 numgen random mod 25 == 0 drop
  nsx "$NSR" nft add rule inet faults loss tcp sport 8080 numgen random mod 25 == 0 drop
  client loss --size 3000000
  nsx "$NSR" nft flush chain inet faults loss
}

# tcp-unanswered: SYNs to 8081 dropped by the router (IPv4 and IPv6; this kernel retransmits a SYN every
# second), and an echo connection still open when the capture stops.
scenario_tcp_unanswered() {
  rm -f "$WORK/unanswered.ready"
  ip netns exec "$NSC" timeout 60 "$PYTHON" "$TOOLS" unanswered --ready "$WORK/unanswered.ready" &
  BG+=($!)
  AFTER_STOP+=($!)
  wait_for_file "$WORK/unanswered.ready" 10 "the unanswered-SYN client"
}

# tcp-zero-window: the server's consumer stalls 1.5 s with a 4 KB receive buffer while 2 MB arrive.
scenario_tcp_zero_window() { client zero-window --size 2000000; }

# dns: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, never answered, a 250 ms slow answer, IPv6, DNS over TCP,
# and Kubernetes search-domain expansion (ndots:5).
scenario_dns() { client dns; }

# http: keep-alive sessions on 8080 (IPv4, IPv6) and 9090 (not an HTTP port for tshark) with 200, 404,
# 500, 503 and slow answers.
scenario_http() { client http; }

# tls: unknown-CA alert, protocol-version alert, successful handshakes with SNI on 443 and 8443.
scenario_tls() { client tls --certs "$CERTS"; }

# icmp: UDP to a closed port (ICMP 3/3, ICMPv6 1/4), to an unroutable network (router: ICMP 3/0,
# ICMPv6 1/0), and with TTL 1 (router: ICMP 11, ICMPv6 3).
scenario_icmp() { client icmp; }

# ipv6: IPv6-only mix of HTTP keep-alive, bulk download, refused and reset connections, echo, TLS.
scenario_ipv6() { client ipv6 --certs "$CERTS"; }

# bench-mix (only when asked for): BENCH_SECONDS of varied traffic for the benchmark's seed capture,
# LINUX_SLL2 only, without immediate mode (too many packets per second for its ring); 1 % loss on the
# bulk port 9090.
scenario_bench_mix() {
  nsx "$NSR" nft add rule inet faults loss tcp sport 9090 numgen random mod 100 == 0 drop
  client bench-mix --certs "$CERTS" --seconds "${BENCH_SECONDS:-12}"
  nsx "$NSR" nft flush chain inet faults loss
}

for scenario in "${SELECTED[@]}"; do
  if [ "$scenario" = bench-mix ]; then
    IMMEDIATE=
    run bench-mix scenario_bench_mix linux_sll2
    IMMEDIATE=--immediate-mode
  else
    run "$scenario" "scenario_${scenario//-/_}"
  fi
done
echo "make-captures: scenarios written to $OUT" >&2
