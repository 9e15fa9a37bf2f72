#!/usr/bin/env bash
# Build the debug kernel of the 6.12dbg-* test lines: Linux 6.12 from
# Debian 12's linux-source-6.12 package, configured by tinyconfig plus
# scripts/debug-kernel.config (what the test machines use, lockdep, KASAN,
# UBSAN, the atomic-sleep, list and object checks, kmemleak), into a cache
# outside the clone.  The package is fetched with `apt-get download` from
# the host's own apt sources, as scripts/kernels.sh fetches the images, and
# only unpacked: nothing is installed and /boot is never touched.
#
# Usage: scripts/debug-kernel.sh [--prefix]
#   (no option)  build unless the cached build is present, then publish it
#                as the kernel series "6.12dbg" of the harness (see below)
#   --prefix     print the cache folder of the current key and exit
# Environment: VMEM_DEBUG_KERNEL_CACHE (default /var/cache/vmem/kernel-debug),
#   VMEM_DEBUG_KERNEL_JOBS (make's -j, default 2).
#
# The key is the source package's version plus a hash of this script and
# of the config fragment: a change to either builds again, an unchanged
# tree never does.  One build at a time per cache (flock); a second caller
# waits and then finds the first one's result.
# The cache folder holds vmlinuz (the bzImage), src/ (the kernel source)
# and obj/ (the build tree: what `make -C obj M=...` needs to build vmem.ko;
# the kernel's own objects are deleted once vmlinuz is out).
# Published like scripts/kernels.sh's kernels: .cache/kernels/6.12dbg ->
# <key>/ with release (the key: build-module.sh looks the tree up by it),
# vmlinuz and kdir.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMEM_DEBUG_KERNEL_CACHE:-/var/cache/vmem/kernel-debug}
jobs=${VMEM_DEBUG_KERNEL_JOBS:-2}
frag=$top/scripts/debug-kernel.config
series=6.12dbg
pkg=linux-source-6.12

srcver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
[ -n "$srcver" ] && [ "$srcver" != "(none)" ] ||
	{ echo "debug-kernel: $pkg is not in the apt lists (apt-get update?)" >&2; exit 1; }
hash=$(cat "$top/scripts/debug-kernel.sh" "$frag" | sha256sum | cut -c1-16)
key=${srcver//[:+~]/_}-$hash
prefix=$cache/$key

if [ "${1:-}" = --prefix ]; then
	echo "$prefix"
	exit 0
fi

publish() {
	local kc=${VMEM_CACHE:-$top/.cache}/kernels
	mkdir -p "$kc"
	ln -sfn "$prefix" "$kc/$key"
	ln -sfn "$key" "$kc/$series"
}

if [ ! -f "$prefix/.complete" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "debug-kernel: $prefix is missing; run as root to build it" >&2
		exit 1
	fi
	mkdir -p "$cache"
	exec 9>"$cache/lock"
	flock 9
fi
if [ -f "$prefix/.complete" ]; then
	publish
	exit 0
fi
log() { echo "debug-kernel: $*"; }
t0=$SECONDS

# ---- build dependencies, by name, like scripts/deps.sh ---------------------
pkgs=(gcc make bc flex bison libelf-dev xz-utils)
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

# ---- the source -------------------------------------------------------------
# Built in place: the build tree refers to its source by absolute path,
# and .complete is what marks the folder usable.
work=$prefix
rm -rf "$work"
mkdir -p "$work/deb"
chmod 777 "$work/deb"	# apt downloads as _apt
log "fetching $pkg $srcver"
(cd "$work/deb" && apt-get download -q "$pkg=$srcver")
dpkg -x "$work"/deb/*.deb "$work/pkg"
mkdir -p "$work/src"
tar -xJf "$work"/pkg/usr/src/linux-source-6.12.tar.xz -C "$work/src" --strip-components=1
rm -rf "$work/deb" "$work/pkg"
src=$work/src obj=$work/obj

# ---- configure --------------------------------------------------------------
kmake() { nice -n 19 make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" "$@"; }
mkdir -p "$obj"
kmake -s tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
kmake -s olddefconfig >/dev/null
# Kconfig drops what it cannot satisfy without a word: check every line.
bad=0
while read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qx -- "$line" "$obj/.config" || { log "not in .config: $line"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$obj/.config" || { log "set in .config: $opt"; bad=1; } ;;
	esac
done <"$frag"
[ $bad -eq 0 ] || { log "the config fragment does not hold"; exit 1; }

# ---- build ------------------------------------------------------------------
log "building (nice 19, -j$jobs)"
tb=$SECONDS
kmake bzImage modules_prepare >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	exit 1
}
# vmem links only against vmlinux (the KVM modules are configured for the
# symbols they make vmlinux export, never built): its exports are the
# whole of Module.symvers.
cp "$obj/vmlinux.symvers" "$obj/Module.symvers"
build_s=$((SECONDS - tb))
cp "$obj/arch/x86/boot/bzImage" "$work/vmlinuz"
# M= builds need the config, the generated headers, scripts/ and objtool;
# not the kernel's objects (vmlinux keeps its symbols in System.map).
find "$obj" -name '*.o' ! -path "$obj/scripts/*" ! -path "$obj/tools/*" -delete
rm -f "$obj/vmlinux.o" "$obj/arch/x86/boot/compressed/vmlinux.bin"*

echo "$key" >"$prefix/release"
echo "$prefix/obj" >"$prefix/kdir"
echo "$srcver build ${build_s}s total $((SECONDS - t0))s" >"$prefix/.complete"
touch "$prefix/.headers"
publish
log "built $prefix/vmlinuz: $((SECONDS - t0)) s (compile $build_s s)"
