#!/usr/bin/env bash
# Build QEMU for vmem from Debian 12's own source package (the version of
# the installed qemu-system-x86), with the project's files from
# userspace/qemu/ applied, and install it into a cache outside the clone.
#
# Usage: scripts/qemu-build.sh [--prefix]
#   (no option)  build and install unless the cached build is present
#                (then it prints nothing and exits 0 at once)
#   --prefix     print the install folder of the current key and exit
#                (bin/qemu-system-x86_64 lives there once built)
# Environment: VMEM_QEMU_CACHE (default /var/cache/vmem/qemu),
#   VMEM_QEMU_JOBS (ninja's -j, default 2).
#
# The cache key is the Debian source version plus a hash of this script,
# of every file under userspace/qemu/ and of vmem's UAPI header, so a
# change to any of them builds again and an unchanged tree never does.
# The host's apt sources are never edited: deb-src entries derived from
# them live in the cache's own apt folder and are given to apt with -o
# options.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMEM_QEMU_CACHE:-/var/cache/vmem/qemu}
jobs=${VMEM_QEMU_JOBS:-2}
qdir=$top/userspace/qemu

srcver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) || {
	echo "qemu-build: qemu-system-x86 is not installed (make deps)" >&2
	exit 1
}
# Files are hashed by path and content, in a fixed order.
uapi=$top/include/uapi/linux/vmem.h
hash=$( (sha256sum "$top/scripts/qemu-build.sh" "$uapi" | cut -d' ' -f1
	cd "$qdir" && find . -type f | LC_ALL=C sort | xargs -r sha256sum) |
	sha256sum | cut -c1-16)
key=${srcver//[:+~]/_}-$hash
prefix=$cache/$key

if [ "${1:-}" = --prefix ]; then
	echo "$prefix"
	exit 0
fi
[ -f "$prefix/.complete" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "qemu-build: $prefix is missing; run as root to build it" >&2
	exit 1
fi
# One build at a time per cache; a second caller waits and then finds the
# first one's result.
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
[ -f "$prefix/.complete" ] && exit 0
log() { echo "qemu-build: $*"; }
t0=$SECONDS

# ---- build dependencies, by name, like scripts/deps.sh ---------------------
# glib, pixman and meson/ninja are QEMU's minimum; slirp is -netdev user;
# fdt is microvm's device tree; dpkg-dev unpacks the source package.
pkgs=(dpkg-dev gcc make pkg-config python3-venv meson ninja-build
	libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev zlib1g-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}"
fi

# ---- the source package, through a private apt configuration ---------------
apt=$cache/apt
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$cache/src"
# deb-src twins of the host's deb entries (deb822 and one-line formats).
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" \
		>"$apt/sources.list.d/$(basename "$f" .list)-src.list"
done
aptopt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources.list.d"
	-o "Dir::State::Lists=$apt/lists")
# apt downloads as _apt when it can write the folder (else as root, with a
# warning).
chown -R _apt "$apt/lists" "$cache/src" 2>/dev/null || true

upstream=${srcver#*:}; upstream=${upstream%-*}
dsc=$cache/src/qemu_${srcver#*:}.dsc
if [ ! -f "$dsc" ]; then
	log "fetching the source of qemu $srcver"
	apt-get "${aptopt[@]}" -q update
	(cd "$cache/src" && apt-get "${aptopt[@]}" -q source --download-only "qemu=$srcver")
fi

# ---- unpack, Debian's patches, then the project's ----------------------------
work=$cache/build-$key
rm -rf "$work" "$prefix.tmp" "$prefix"
mkdir -p "$work"
log "unpacking (Debian's patches are applied by dpkg-source)"
# --no-check: apt already checked every file against the signed Sources
# index; the .dsc's own signature would need debian-keyring installed.
dpkg-source -q --no-check -x "$dsc" "$work/src" >/dev/null
src=$work/src
# New files: userspace/qemu/accel/ is the accelerator, target/i386/vmem/.
# It includes vmem's UAPI header as "vmem-uapi.h".
if [ -d "$qdir/accel" ]; then
	mkdir -p "$src/target/i386/vmem"
	cp -r "$qdir/accel/." "$src/target/i386/vmem/"
	cp "$uapi" "$src/target/i386/vmem/vmem-uapi.h"
fi
# Then the patch series in name order (0001-..., 0002-...).
for p in "$qdir"/patches/*.patch; do
	[ -f "$p" ] || continue
	log "applying $(basename "$p")"
	patch -d "$src" -p1 --quiet --forward <"$p"
done

# ---- configure: x86_64 system emulation, only what the tests use -------------
# Default devices stay on (they are Kconfig's per-machine sets: q35 and
# microvm with virtio-blk/net, serial, the i386 platform devices); every
# optional library feature is off unless listed.  Firmware comes from
# Debian's qemu-system-data at run time (/usr/share/qemu), never from this
# build (the dfsg source has no blobs).  No TCG: this QEMU runs guests on
# vmem (and on KVM, for comparison), never by emulation, and leaving TCG
# out halves the build.
log "configuring"
mkdir -p "$work/build"
cd "$work/build"
"$src/configure" --prefix="$prefix" --target-list=x86_64-softmmu \
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
	--without-default-features --disable-user --disable-docs --disable-tools \
	--disable-install-blobs --disable-werror \
	--disable-tcg --enable-kvm --enable-vmem --enable-slirp --enable-fdt=system \
	>"$work/configure.log" 2>&1 || {
	tail -n 30 "$work/configure.log" >&2
	exit 1
}
log "building (nice 19, -j$jobs)"
nice -n 19 ninja -j"$jobs" >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	exit 1
}
DESTDIR=$prefix.tmp nice -n 19 meson install --no-rebuild --only-changed \
	>"$work/install.log" 2>&1 || {
	tail -n 20 "$work/install.log" >&2
	exit 1
}
# meson installed under DESTDIR + prefix; keep the prefix's content only.
mv "$prefix.tmp$prefix" "$prefix"
rm -rf "$prefix.tmp" "$work"
echo "$srcver $((SECONDS - t0))s" >"$prefix/.complete"
log "installed $prefix/bin/qemu-system-x86_64 in $((SECONDS - t0)) s"
