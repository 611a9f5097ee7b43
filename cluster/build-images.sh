#!/usr/bin/env bash
# Builds the images the e2e tests need without any registry and writes them as docker-archive tarballs:
#   pause   - the pod sandbox image (static C program)
#   e2e-app - busybox httpd serving a small page on port 8080 (plus busybox tools: sh, wget, cat, ...)
#   tcpdump - Debian's tcpdump with the libraries ldd lists, a tcpdump user, and busybox (sh, timeout, ...)
# Usage: cluster/build-images.sh OUT_DIR TAG
# The tarballs are named pause.tar, e2e-app.tar, tcpdump.tar; image names docker.io/capturepackets/NAME:TAG.
set -euo pipefail

out="${1:?usage: build-images.sh OUT_DIR TAG}"
tag="${2:?usage: build-images.sh OUT_DIR TAG}"
here=$(cd "$(dirname "$0")" && pwd)
repo="docker.io/capturepackets"

for tool in umoci skopeo gcc busybox tcpdump ldd; do
  command -v "$tool" >/dev/null || { echo "build-images: '$tool' not found (apt-get install umoci skopeo gcc busybox-static tcpdump)" >&2; exit 3; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cp-images.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# new_image NAME: creates an empty OCI layout and unpacks it; prints the rootfs path.
new_image() {
  local name=$1
  umoci init --layout "$work/$name.oci" >/dev/null
  umoci new --image "$work/$name.oci:$tag" >/dev/null
  umoci unpack --image "$work/$name.oci:$tag" "$work/$name.bundle" >/dev/null
  echo "$work/$name.bundle/rootfs"
}

# add_busybox ROOTFS: static busybox with its applets as symlinks, /tmp, and minimal passwd/group.
add_busybox() {
  local rootfs=$1 applet
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
}

# finish NAME ARGS...: repacks the rootfs, sets the image config, exports the docker archive.
finish() {
  local name=$1; shift
  umoci repack --image "$work/$name.oci:$tag" "$work/$name.bundle" >/dev/null
  umoci config --image "$work/$name.oci:$tag" --config.workingdir / "$@" >/dev/null
  rm -f "$out/$name.tar"
  skopeo copy --quiet --insecure-policy "oci:$work/$name.oci:$tag" \
    "docker-archive:$out/$name.tar:$repo/$name:$tag" >/dev/null
}

# pause
rootfs=$(new_image pause)
gcc -Os -static -o "$rootfs/pause" "$here/images/pause.c"
strip "$rootfs/pause" 2>/dev/null || true
finish pause --config.entrypoint /pause

# e2e-app: busybox httpd on 8080 serving a recognisable page.
rootfs=$(new_image e2e-app)
add_busybox "$rootfs"
mkdir -p "$rootfs/www"
printf 'capture-packets e2e app\n' > "$rootfs/www/index.html"
finish e2e-app --config.cmd /bin/httpd --config.cmd -f --config.cmd -v --config.cmd -p --config.cmd 8080 \
  --config.cmd -h --config.cmd /www --config.exposedports 8080/tcp

# tcpdump: the binary plus every library ldd lists (and the dynamic loader), user tcpdump for -Z.
rootfs=$(new_image tcpdump)
add_busybox "$rootfs"
tcpdump_bin=$(command -v tcpdump)
mkdir -p "$rootfs/usr/bin"
cp "$tcpdump_bin" "$rootfs/usr/bin/tcpdump"
for lib in $(ldd "$tcpdump_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
printf 'tcpdump:x:104:108::/nonexistent:/usr/sbin/nologin\n' >> "$rootfs/etc/passwd"
printf 'tcpdump:x:108:\n' >> "$rootfs/etc/group"
finish tcpdump --config.env PATH=/usr/bin:/bin --config.cmd /bin/sh

echo "$out"
