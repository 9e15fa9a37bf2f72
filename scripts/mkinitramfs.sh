#!/usr/bin/env bash
# Build the test machines' initramfs: static busybox, vmem.ko, the static
# test programs and the harness /init.
#
# Usage: mkinitramfs.sh OUT.cpio.gz VMEM_KO TESTDIR [EXTRA_DIR]
#   TESTDIR holds the test binaries and tests.list; EXTRA_DIR, if given, is
#   copied over the root (userspace tools, the demo, KVM modules...).
set -euo pipefail
out=$1 ko=$2 tests=$3 extra=${4:-}
here=$(cd "$(dirname "$0")" && pwd)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"   # mktemp made it 0700: nobody could reach /dev
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib,tests,etc}
cp /bin/busybox "$root/bin/busybox"
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init"
cp "$ko" "$root/lib/vmem.ko"
cp -r "$tests"/. "$root/tests/"
[ -n "$extra" ] && cp -r "$extra"/. "$root/"
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
