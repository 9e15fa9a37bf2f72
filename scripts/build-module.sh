#!/usr/bin/env bash
# Build vmem.ko for one kernel release, warnings on (W=1) and sparse (C=1),
# in a private copy of the sources so builds for several kernels coexist.
# Usage: build-module.sh RELEASE OUTDIR      (module: OUTDIR/kmod/vmem.ko)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rel=$1 out=$2
# The headers scripts/kernels.sh unpacked for this release.
kdir=$(cat "$top/.cache/kernels/$rel/kdir" 2>/dev/null) || kdir=
[ -n "$kdir" ] && [ -d "$kdir" ] ||
	{ echo "build-module: no headers for $rel: run scripts/kernels.sh" >&2; exit 1; }
rm -rf "$out/kmod" "$out/include"
mkdir -p "$out"
cp -r "$top/kmod" "$top/include" "$out/"
make -C "$kdir" M="$out/kmod" W=1 C=1 -j"$(nproc)" modules
