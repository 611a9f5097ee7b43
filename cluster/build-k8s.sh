#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubelet and kubectl from the Go module proxy and caches
# them by version. Kubernetes publishes no binaries reachable from this workplace (only Go modules), and
# `go install k8s.io/kubernetes/cmd/...` is refused because of the replace directives in its go.mod, so we
# build from a throwaway module that pins every k8s.io staging module to the matching v0.Y.Z.
#
# Usage: cluster/build-k8s.sh [vX.Y.Z]      (default: $CAPTURE_PACKETS_K8S_VERSION or v1.34.10)
# v1.34.10 is the newest 1.34 patch the checksum database verifies through this workplace's proxy (v1.34.11 and
# v1.34.12 exist on the proxy, but sum.golang.org lookups for them answer 404); `go list -m -versions` lists only
# up to v1.34.4 here, so probe newer patches with `go mod download -json k8s.io/kubernetes@vX`.
# Also builds cri-cleanup (cluster/cri-cleanup), a tiny CRI client the harness uses to tear pods down.
# Prints the bin directory on the last line of stdout. A second run with the same version takes a second.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version="${1:-${CAPTURE_PACKETS_K8S_VERSION:-v1.34.10}}"
cache="${CAPTURE_PACKETS_CACHE:-/var/cache/capture-packets}"
root="$cache/k8s/$version"
bin="$root/bin"
commands=(kube-apiserver kube-controller-manager kubelet kubectl)

log() { printf '[build-k8s %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ ! "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-k8s: version '$version' is not of the form v1.MINOR.PATCH (for example v1.34.10)" >&2
  exit 2
fi
minor="${BASH_REMATCH[1]}"
patch="${BASH_REMATCH[2]}"
staging_version="v0.$minor.$patch"

complete() {
  local c
  for c in "${commands[@]}"; do [[ -x "$bin/$c" ]] || return 1; done
  [[ -f "$bin/.complete" ]]
}

tool_hash=$(sha256sum "$here/cri-cleanup/main.go" | cut -c1-16)
tool_current() { [[ -x "$bin/cri-cleanup" && "$(cat "$bin/cri-cleanup.hash" 2>/dev/null)" == "$tool_hash" ]]; }

if complete && tool_current; then
  log "reusing cached binaries in $bin"
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin /usr/lib/go/bin; do
    [[ -x "$candidate/go" ]] && PATH="$candidate:$PATH"
  done
fi
command -v go >/dev/null 2>&1 || {
  echo "build-k8s: no Go toolchain found. Install Go >= 1.24 (https://go.dev/dl/) into /usr/local/go;" \
       "Debian 12's golang package is too old for Kubernetes $version." >&2
  exit 3
}

export GOMODCACHE="${GOMODCACHE_OVERRIDE:-$cache/go/mod}"
export GOCACHE="${GOCACHE_OVERRIDE:-$cache/go/build}"
export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0
mkdir -p "$GOMODCACHE" "$GOCACHE"

src="$root/src"
if ! complete; then
  # The throwaway module lives in the cache too, so an interrupted build resumes where it stopped.
  mkdir -p "$src"
  cd "$src"
  started=$(date +%s)
  if [[ ! -f go.mod.done ]]; then
    log "preparing module for k8s.io/kubernetes $version (staging modules at $staging_version)"
    rm -f go.mod go.sum
    go mod init capturepackets.local/k8sbuild >/dev/null 2>&1
    info=$(go mod download -json "k8s.io/kubernetes@$version" 2>&1 || true)
    kgomod=$(sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p' <<<"$info")
    if [[ ! -f "$kgomod" ]]; then
      echo "build-k8s: could not download k8s.io/kubernetes@$version:" >&2
      sed -n 's/^\s*"Error": "\(.*\)",\?$/  \1/p' <<<"$info" >&2
      echo "  (a 404 from sumdb means the checksum database cannot verify it here; pick an older patch)" >&2
      exit 4
    fi
    # Replace each `k8s.io/x => ./staging/src/k8s.io/x` with the published module at the staging version.
    edits=(-require="k8s.io/kubernetes@$version")
    while read -r mod; do
      edits+=(-replace="$mod=$mod@$staging_version")
    done < <(sed -n 's#^\s*\(k8s\.io/[A-Za-z0-9._/-]*\) => \./staging/.*#\1#p' "$kgomod")
    ((${#edits[@]} > 5)) || { echo "build-k8s: found no staging replaces in $kgomod" >&2; exit 4; }
    # Copy the go directive so module graph pruning behaves as upstream intends.
    godir=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kgomod" | sed -n 1p)
    go mod edit "${edits[@]}" ${godir:+-go=$godir}
    pkgs=()
    for c in "${commands[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c@$version"); done
    log "resolving dependencies (go get)"
    go get "${pkgs[@]}"
    touch go.mod.done
  fi

  pkg="k8s.io/component-base/version"
  ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  mkdir -p "$bin.tmp"
  targets=()
  for c in "${commands[@]}"; do targets+=("k8s.io/kubernetes/cmd/$c"); done
  log "compiling ${commands[*]} (cold: about 10-20 min on 2 cores; GOCACHE=$GOCACHE)"
  go build -trimpath -ldflags "$ldflags" -o "$bin.tmp/" "${targets[@]}"
  for c in "${commands[@]}"; do
    if [[ $c == kubectl ]]; then check=(version --client); else check=(--version); fi
    [[ $("$bin.tmp/$c" "${check[@]}" 2>&1) == *"$version"* ]] ||
      { echo "build-k8s: $bin.tmp/$c ${check[*]} does not report $version" >&2; exit 5; }
  done
  rm -rf "$bin"
  mv "$bin.tmp" "$bin"
  touch "$bin/.complete"
  log "built in $(( $(date +%s) - started )) s: $("$bin/kube-apiserver" --version)"
fi

if ! tool_current; then
  log "building cri-cleanup"
  mkdir -p "$src/cricleanup"
  cp "$here/cri-cleanup/main.go" "$src/cricleanup/main.go"
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$bin/cri-cleanup" ./cricleanup)
  echo "$tool_hash" > "$bin/cri-cleanup.hash"
fi
echo "$bin"
