#!/usr/bin/env bash
# A real single-node Kubernetes for the end-to-end tests: etcd, containerd (private instance), kube-apiserver,
# kube-controller-manager and a kubelet registered as node "localhost", all child processes of this harness,
# all listening on 127.0.0.1 only. No systemd, no Docker, no registry, no kube-proxy.
#
#   cluster/local-cluster.sh up            start (idempotent), print the set-up time
#   cluster/local-cluster.sh down          stop everything started here (by PID) and clean network state
#   cluster/local-cluster.sh status        show what runs
#   cluster/local-cluster.sh env           print `export ...` lines (KUBECONFIG, image names, node)
#   cluster/local-cluster.sh run -- CMD    up, run CMD with that environment, always down; exits with CMD's code
#
# Settings (environment): CAPTURE_PACKETS_CLUSTER_INSTANCE (0-9, default 0: several clusters side by side, each
# with its own ports (+1000 per instance), bridge, pod range, cgroup root and state dir),
# CAPTURE_PACKETS_CLUSTER_DIR (state, default /tmp/capture-packets-cluster, -N for instance N),
# CAPTURE_PACKETS_CACHE (binaries and images, default /var/cache/capture-packets),
# CAPTURE_PACKETS_K8S_VERSION (default v1.34.10), CAPTURE_PACKETS_API_PORT (default 16443).
#
# Network safety: pods sit on a private bridge without a default route and without masquerading; a FORWARD
# rule drops anything from the pod range to elsewhere, so pod traffic never leaves the machine. There is no
# kube-proxy, so the service range is never routed anywhere.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
instance="${CAPTURE_PACKETS_CLUSTER_INSTANCE:-0}"
[[ $instance =~ ^[0-9]$ ]] || { echo "CAPTURE_PACKETS_CLUSTER_INSTANCE must be a digit 0-9, not '$instance'" >&2; exit 2; }
suffix=${instance/#0/}
suffix=${suffix:+-$suffix}
offset=$((instance * 1000))
state="${CAPTURE_PACKETS_CLUSTER_DIR:-/tmp/capture-packets-cluster$suffix}"
cache="${CAPTURE_PACKETS_CACHE:-/var/cache/capture-packets}"
k8s_version="${CAPTURE_PACKETS_K8S_VERSION:-v1.34.10}"
api_port="${CAPTURE_PACKETS_API_PORT:-$((16443 + offset))}"
etcd_port=$((22379 + offset))
etcd_peer_port=$((22380 + offset))
kubelet_port=$((10250 + offset))
kubelet_healthz_port=$((10248 + offset))
cm_port=$((10257 + offset))
node=localhost
pod_cidr=10.213.$instance.0/24
bridge_ip=10.213.$instance.1
service_cidr=10.214.$instance.0/24
bridge=cp-br$instance
fw_chain=CAPTURE-PACKETS-FWD$suffix
# Instance 0 keeps kubelet's default /kubepods; others nest theirs so two kubelets never share QoS cgroups.
cgroup_root=${suffix:+/capture-packets$suffix}
pods_cgroup="${cgroup_root#/}${cgroup_root:+/}kubepods"
image_tag=1
image_repo=docker.io/capturepackets
pause_image="$image_repo/pause:$image_tag"
app_image="$image_repo/e2e-app:$image_tag"
tcpdump_image="$image_repo/tcpdump:$image_tag"
packages=(containerd runc containernetworking-plugins iptables umoci skopeo busybox-static etcd-server tcpdump
  openssl curl gcc libc6-dev iproute2 util-linux)
# Daemons in start order; down stops them in reverse.
daemons=(containerd etcd kube-apiserver kube-controller-manager kubelet)
# Kernel settings kubelet changes on start (protectKernelDefaults=false); saved at up, restored at down.
sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes)

pki="$state/pki"
pids="$state/pids"
logs="$state/logs"
ctr_sock="$state/containerd/containerd.sock"
kubeconfig="$state/admin.kubeconfig"
env_file="$state/env"

log() { printf '[local-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

require_root() {
  [[ $(id -u) == 0 ]] || die "must run as root (it starts containerd and kubelet and configures a bridge)"
}

# One cluster per state dir (and fixed ports): up, down and run take this lock, run for its whole duration, so
# concurrent runs (CI, several worktrees) take turns instead of tearing down each other's cluster.
lock() {
  mkdir -p "$(dirname "$state")"
  exec 9>"${state%/}.lock"
  if ! flock -n 9; then
    log "waiting for another local-cluster.sh using $state (lock ${state%/}.lock)"
    flock 9
  fi
}

pid_of() { cat "$pids/$1.pid" 2>/dev/null || true; }

# True when the recorded PID still runs this daemon of this state dir (guards against reused or foreign PIDs).
alive() {
  local pid cmdline
  pid=$(pid_of "$1")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$1"* && $cmdline == *"$state"* ]]
}

# Fails when something else already listens on one of our ports (another harness, a system etcd, ...).
check_ports_free() {
  local port owner
  for port in "$api_port" "$etcd_port" "$etcd_peer_port" "$kubelet_port" "$kubelet_healthz_port" "$cm_port"; do
    owner=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -1 || true)
    if [[ -n $owner ]]; then
      die "port 127.0.0.1:$port is already in use ($owner); another cluster (another checkout's" \
        "local-cluster.sh?) is running. Stop it first, or use its env: $0 env"
    fi
  done
}

# ---------------------------------------------------------------------------------------------- packages
install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  # policy-rc.d keeps postinst scripts from starting a system etcd/containerd next to ours.
  local policy=/usr/sbin/policy-rc.d created_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$logs/apt.log" 2>&1; then
    apt-get update -q >>"$logs/apt.log" 2>&1 || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$logs/apt.log" 2>&1 || {
      [[ -n $created_policy ]] && rm -f "$policy"
      die "apt-get install ${missing[*]} failed, see $logs/apt.log"
    }
  fi
  [[ -n $created_policy ]] && rm -f "$policy"
  return 0
}

# ---------------------------------------------------------------------------------------------- images
build_images() {
  local key dir
  key=$( (cat "$here/build-images.sh" "$here/images/pause.c"; tcpdump --version 2>&1; busybox 2>&1 | sed -n 1p) |
    sha256sum | cut -c1-16)
  dir="$cache/images/$key"
  if [[ ! -f "$dir/.complete" ]]; then
    log "building images (pause, e2e-app, tcpdump)"
    "$here/build-images.sh" "$dir" "$image_tag" >/dev/null
    touch "$dir/.complete"
  fi
  images_dir=$dir
}

import_images() {
  local name
  for name in pause e2e-app tcpdump; do
    ctr --address "$ctr_sock" -n k8s.io images import "$images_dir/$name.tar" >/dev/null \
      || die "importing $images_dir/$name.tar into containerd failed"
  done
}

# ---------------------------------------------------------------------------------------------- certificates
# cert NAME CN ORG SANS: a key and a certificate signed by the cluster CA (both client and server usage).
cert() {
  local name=$1 cn=$2 org=$3 sans=$4 subj ext
  subj="/CN=$cn"
  [[ -n $org ]] && subj+="/O=$org"
  ext=$(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n')
  [[ -n $sans ]] && ext+=$'\n'"subjectAltName=$sans"
  # RSA: fabric8 reads PKCS#8 RSA keys from a kubeconfig without being told the algorithm.
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" \
    -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -out "$pki/$name.crt" -extfile <(echo "$ext") 2>/dev/null
  rm -f "$pki/$name.csr"
}

write_kubeconfig() {
  local file=$1 user=$2
  cat > "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: capture-packets
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$pki/$user.crt")
    client-key-data: $(base64 -w0 < "$pki/$user.key")
contexts:
- name: capture-packets
  context:
    cluster: capture-packets
    user: $user
current-context: capture-packets
EOF
  chmod 600 "$file"
}

make_pki() {
  if [[ $(cat "$pki/.complete" 2>/dev/null) == rsa-1 ]] && grep -q "127.0.0.1:$api_port" "$kubeconfig" 2>/dev/null; then
    return 0
  fi
  log "writing certificates and kubeconfigs"
  rm -rf "$pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" -subj "/CN=capture-packets-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  cert apiserver kube-apiserver "" "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$bridge_ip,IP:${service_cidr%.*/*}.1"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
  cert admin capture-packets-admin system:masters ""
  cert controller-manager system:kube-controller-manager "" ""
  cert kubelet "system:node:$node" system:nodes ""
  cert kubelet-serving "$node" "" "DNS:$node,IP:127.0.0.1"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  write_kubeconfig "$kubeconfig" admin
  write_kubeconfig "$state/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$state/kubelet.kubeconfig" kubelet
  echo rsa-1 > "$pki/.complete"
}

# ---------------------------------------------------------------------------------------------- network
setup_network() {
  if [[ ! -f "$state/sysctl.saved" ]]; then
    # A running instance's kubelet already changed them: take the original values it saved.
    local s other='' candidate
    for candidate in /tmp/capture-packets-cluster*/sysctl.saved; do
      [[ -f $candidate && $candidate != "$state/sysctl.saved" ]] && other=$candidate && break
    done
    if [[ -n $other ]]; then
      cp "$other" "$state/sysctl.saved"
    else
      for s in "${sysctls[@]}"; do
        [[ -e /proc/sys/${s//.//} ]] && echo "$s=$(sysctl -n "$s")"
      done > "$state/sysctl.saved"
    fi
  fi
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    touch "$state/bridge.created"
  fi
  ip addr replace "$bridge_ip/${pod_cidr#*/}" dev "$bridge"
  ip link set "$bridge" up
  # Pod traffic stays among the pods and the host: drop everything forwarded from the pod range elsewhere.
  iptables -w -N "$fw_chain" 2>/dev/null || iptables -w -F "$fw_chain"
  iptables -w -A "$fw_chain" -i "$bridge" ! -o "$bridge" -j DROP
  iptables -w -A "$fw_chain" -s "$pod_cidr" ! -d "$pod_cidr" -j DROP
  iptables -w -C FORWARD -j "$fw_chain" 2>/dev/null || iptables -w -I FORWARD 1 -j "$fw_chain"
  if command -v ip6tables >/dev/null; then
    ip6tables -w -N "$fw_chain" 2>/dev/null || ip6tables -w -F "$fw_chain"
    ip6tables -w -A "$fw_chain" -i "$bridge" ! -o "$bridge" -j DROP
    ip6tables -w -C FORWARD -j "$fw_chain" 2>/dev/null || ip6tables -w -I FORWARD 1 -j "$fw_chain"
  fi
  mkdir -p "$state/cni/net.d" "$state/cni/ipam"
  # No gateway route in the pods, no ipMasq: pods reach each other and the host, nothing else.
  cat > "$state/cni/net.d/10-capture-packets.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "capture-packets",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$bridge_ip"}]]
      }
    }
  ]
}
EOF
}

cleanup_network() {
  if ip link show "$bridge" >/dev/null 2>&1; then
    ip link delete "$bridge" 2>/dev/null || log "could not delete bridge $bridge"
  fi
  rm -f "$state/bridge.created"
  local t
  for t in iptables ip6tables; do
    command -v $t >/dev/null || continue
    while $t -w -D FORWARD -j "$fw_chain" 2>/dev/null; do :; done
    $t -w -F "$fw_chain" 2>/dev/null || true
    $t -w -X "$fw_chain" 2>/dev/null || true
  done
  rm -rf "$state/cni/ipam"
  rm -f /var/lib/cni/results/capture-packets-* 2>/dev/null || true
  if [[ -f "$state/sysctl.saved" ]]; then
    local line
    while IFS= read -r line; do
      sysctl -q -w "$line" >/dev/null 2>&1 || log "could not restore sysctl $line"
    done < "$state/sysctl.saved"
    rm -f "$state/sysctl.saved"
  fi
}

# ---------------------------------------------------------------------------------------------- daemons
start_daemon() {
  local name=$1; shift
  # 9>&-: daemons must not inherit the harness lock, or it would stay held after this script exits.
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null 9>&- &
  echo $! > "$pids/$name.pid"
}

# wait_for WHAT SECONDS DAEMON CMD...: polls CMD every 0.2 s; fails early when DAEMON died.
wait_for() {
  local what=$1 seconds=$2 daemon=$3; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $daemon ]] && ! alive "$daemon"; then
      tail -n 30 "$logs/$daemon.log" >&2 || true
      die "$daemon exited while waiting for $what (log: $logs/$daemon.log)"
    fi
    ((SECONDS < deadline)) || { tail -n 30 "$logs/${daemon:-kubelet}.log" >&2 || true; die "timed out after ${seconds}s waiting for $what"; }
    sleep 0.2
  done
}

start_containerd() {
  mkdir -p "$state/containerd/root" "$state/containerd/state"
  cat > "$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$ctr_sock"

[ttrpc]
  address = "$state/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$state/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
    max_conf_num = 1
EOF
  start_daemon containerd containerd --config "$state/containerd/config.toml"
  wait_for "containerd socket" 30 containerd ctr --address "$ctr_sock" version
}

start_etcd() {
  rm -rf "$state/etcd"
  start_daemon etcd etcd --name capture-packets --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "capture-packets=http://127.0.0.1:$etcd_peer_port" \
    --unsafe-no-fsync --snapshot-count 10000 --quota-backend-bytes 2147483648
  wait_for "etcd health" 30 etcd curl -fsS "http://127.0.0.1:$etcd_port/health"
}

start_apiserver() {
  start_daemon kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address "$bridge_ip" \
    --client-ca-file "$pki/ca.crt" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" \
    --kubelet-preferred-address-types Hostname \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$service_cidr" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --profiling=false \
    --v=1
  wait_for "kube-apiserver /readyz" 90 kube-apiserver \
    curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$api_port/readyz"
}

start_controller_manager() {
  start_daemon kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$cm_port" \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true \
    --leader-elect=false \
    --v=1
}

# The kubelet wants its cgroupRoot to exist in every hierarchy; cpuset children start empty, so copy the parent's.
make_cgroup_root() {
  [[ -n $cgroup_root ]] || return 0
  local h
  for h in /sys/fs/cgroup/*/; do
    mkdir -p "$h${cgroup_root#/}" 2>/dev/null || continue
    if [[ -f "${h}cpuset.cpus" ]]; then
      cat "${h}cpuset.cpus" > "$h${cgroup_root#/}/cpuset.cpus"
      cat "${h}cpuset.mems" > "$h${cgroup_root#/}/cpuset.mems"
    fi
  done
}

start_kubelet() {
  make_cgroup_root
  rm -rf "$state/kubelet" "$state/pod-logs"
  mkdir -p "$state/kubelet" "$state/pod-logs"
  cat > "$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $kubelet_healthz_port
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $pki/ca.crt
authorization:
  mode: Webhook
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$ctr_sock
cgroupDriver: cgroupfs
${cgroup_root:+cgroupRoot: $cgroup_root}
failCgroupV1: false
oomScoreAdj: 0
failSwapOn: false
protectKernelDefaults: false
makeIPTablesUtilChains: false
resolvConf: ""
podLogsDir: $state/pod-logs
registerNode: true
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
  imagefs.inodesFree: 1%
evictionPressureTransitionPeriod: 10s
maxPods: 60
EOF
  start_daemon kubelet "$bin/kubelet" \
    --config "$state/kubelet.yaml" \
    --kubeconfig "$state/kubelet.kubeconfig" \
    --root-dir "$state/kubelet" \
    --hostname-override "$node" \
    --node-ip "$bridge_ip" \
    --v=1
}

node_ready() {
  [[ $("$bin/kubectl" --kubeconfig "$kubeconfig" get node "$node" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

default_sa_exists() {
  "$bin/kubectl" --kubeconfig "$kubeconfig" -n default get serviceaccount default
}

write_env() {
  local server_version
  server_version=$("$bin/kubectl" --kubeconfig "$kubeconfig" version -o json 2>/dev/null |
    jq -r .serverVersion.gitVersion)
  cat > "$env_file" <<EOF
export KUBECONFIG=$kubeconfig
export CAPTURE_PACKETS_E2E_KUBECONFIG=$kubeconfig
export CAPTURE_PACKETS_E2E_IMAGE_APP=$app_image
export CAPTURE_PACKETS_E2E_IMAGE_TCPDUMP=$tcpdump_image
export CAPTURE_PACKETS_E2E_NODE=$node
export CAPTURE_PACKETS_E2E_SERVER_VERSION=$server_version
export CAPTURE_PACKETS_E2E_EXPECTED_VERSION=${k8s_version%.*}
export CAPTURE_PACKETS_E2E_HOST_REACHES_PODS=true
export PATH=$bin:\$PATH
EOF
}

apiserver_ready() {
  curl -fsS --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1
}

is_up() {
  local d
  for d in "${daemons[@]}"; do alive "$d" || return 1; done
  [[ -f $env_file ]] && apiserver_ready
}

cmd_up() {
  require_root
  local started=$SECONDS
  if is_up; then
    log "already up (state in $state)"
    return 0
  fi
  [[ -d "$pids" ]] && cmd_down
  check_ports_free
  mkdir -p "$state" "$pids" "$logs"
  rm -f "$logs"/*.log
  install_packages
  local build_started=$SECONDS
  bin=$("$here/build-k8s.sh" "$k8s_version" | tail -n 1) || die "building Kubernetes $k8s_version failed"
  local build_seconds=$((SECONDS - build_started))
  build_images
  make_pki
  setup_network
  start_containerd
  import_images
  start_etcd
  start_apiserver
  start_controller_manager
  start_kubelet
  wait_for "node $node Ready" 120 kubelet node_ready
  wait_for "default ServiceAccount" 60 kube-controller-manager default_sa_exists
  write_env
  echo "$bin" > "$state/bin"
  local total=$((SECONDS - started))
  log "cluster up in ${total}s (Kubernetes binaries: ${build_seconds}s; $(grep SERVER_VERSION "$env_file" | cut -d= -f2)," \
    "node $node Ready). KUBECONFIG=$kubeconfig"
  echo "set-up time: ${total}s (of which ${build_seconds}s building/reusing binaries)"
}

# stop_daemons NAME...: TERM to all at once, wait up to 15 s, then KILL. Only the PIDs this harness recorded.
stop_daemons() {
  local name pid i running
  declare -A targets=()
  for name in "$@"; do
    pid=$(pid_of "$name")
    if alive "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      targets[$name]=$pid
    fi
  done
  for ((i = 0; i < 75; i++)); do
    running=
    for name in "${!targets[@]}"; do
      kill -0 "${targets[$name]}" 2>/dev/null && running=1
    done
    [[ -z $running ]] && break
    sleep 0.2
  done
  for name in "${!targets[@]}"; do
    if kill -0 "${targets[$name]}" 2>/dev/null; then
      log "$name (pid ${targets[$name]}) ignored SIGTERM for 15 s, killing"
      kill -KILL "${targets[$name]}" 2>/dev/null || true
    fi
  done
  for name in "$@"; do rm -f "$pids/$name.pid"; done
}

# Processes left in the kubelet's pod cgroups (only possible when the runtime could not stop them).
kill_pod_processes() {
  local procs pid
  local base=/sys/fs/cgroup/pids/$pods_cgroup
  procs=$(cat "$base/cgroup.procs" "$base"/*/cgroup.procs "$base"/*/*/cgroup.procs "$base"/*/*/*/cgroup.procs \
    2>/dev/null || true)
  for pid in $procs; do
    log "killing leftover pod process $pid"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# containerd-shim processes serving our containerd (identified by our socket on their command line).
kill_leftover_shims() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    if tr '\0' ' ' 2>/dev/null < "$dir/cmdline" | grep -- "containerd-shim.* -address $ctr_sock" >/dev/null; then
      log "killing leftover shim $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

unmount_state() {
  local m
  # Deepest first; lazy unmount as the last resort so a busy mount cannot block the cleanup.
  for m in $(awk -v p="$state/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
}

remove_pod_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/"$pods_cgroup" ${cgroup_root:+/sys/fs/cgroup/*$cgroup_root}; do
    [[ -d $h ]] || continue
    find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d $h ]] && log "could not remove cgroup $h"
  done
  return 0
}

cmd_down() {
  require_root
  [[ -d "$state" ]] || { log "nothing to stop ($state does not exist)"; return 0; }
  log "stopping the local cluster"
  stop_daemons kubelet kube-controller-manager kube-apiserver
  if alive containerd; then
    local bin_dir
    bin_dir=$(cat "$state/bin" 2>/dev/null || true)
    if [[ -x "$bin_dir/cri-cleanup" ]]; then
      timeout 90 "$bin_dir/cri-cleanup" "unix://$ctr_sock" >>"$logs/down.log" 2>&1 ||
        log "cri-cleanup reported problems (see $logs/down.log)"
    fi
  fi
  stop_daemons etcd containerd
  kill_pod_processes
  kill_leftover_shims
  sleep 0.2
  unmount_state
  remove_pod_cgroups
  cleanup_network
  # kubelet links container logs into /var/log/containers; drop the links that point into our state.
  find /var/log/containers -maxdepth 1 -type l -lname "$state/*" -delete 2>/dev/null || true
  rm -rf "$state/etcd" "$state/containerd/state" "$state/kubelet" "$state/pod-logs" "$state/containerd/containerd.sock.ttrpc"
  rm -f "$env_file"
  log "stopped"
}

cmd_status() {
  local d pid rc=0
  for d in "${daemons[@]}"; do
    pid=$(pid_of "$d")
    if alive "$d"; then
      printf '%-24s running (pid %s)\n' "$d" "$pid"
    else
      printf '%-24s stopped\n' "$d"
      rc=1
    fi
  done
  if [[ -f $env_file ]]; then
    bin=$(cat "$state/bin")
    "$bin/kubectl" --kubeconfig "$kubeconfig" get nodes -o wide 2>&1 || rc=1
  fi
  return $rc
}

cmd_env() {
  [[ -f $env_file ]] || die "the local cluster is not up ($env_file missing); run: $0 up"
  cat "$env_file"
}

cmd_run() {
  [[ ${1:-} == -- ]] && shift
  (($# > 0)) || die "usage: $0 run -- COMMAND [ARGS...]"
  require_root
  if is_up; then
    log "the cluster is already up: running the command against it and leaving it up"
    # shellcheck disable=SC1090
    (source "$env_file" && "$@")
    return
  fi
  # Whatever happens from here on (a failed up, the command, Ctrl-C), the cluster goes down.
  # shellcheck disable=SC2154
  trap 'run_rc=$?; trap - EXIT; cmd_down || log "down reported problems"; exit $run_rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cmd_up
  local rc=0
  (
    # shellcheck disable=SC1090
    source "$env_file"
    "$@"
  ) || rc=$?
  log "command exited with $rc"
  exit $rc
}

case "${1:-}" in
  up) lock; cmd_up ;;
  down) lock; cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  run) shift; lock; cmd_run "$@" ;;
  *)
    echo "usage: $0 up|down|status|env|run -- COMMAND..." >&2
    exit 2
    ;;
esac
