#!/usr/bin/env bash
# Fetch the Debian 12 kernels the harness builds for and boots: for each
# release, the image and the headers (the arch headers, their -common
# package and the kbuild tools) are downloaded and unpacked into
# .cache/kernels/<release>/root, never installed.  Installing Debian's
# 6.12 headers would pull its kernel image into /boot and make it the
# host's default boot entry; unpacked, nothing on the host changes.
#
# Usage: scripts/kernels.sh [series...]     series: 6.1 6.12 (default: both)
# Prints nothing when everything is already in place.
# Layout: .cache/kernels/<series> -> <release>/ holding release, vmlinuz,
# kdir (the headers tree to build modules against) and root/ (the
# unpacked packages: boot/, lib/modules/, usr/src/, usr/lib/linux-kbuild-*).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMEM_CACHE:-$top/.cache}/kernels
mkdir -p "$cache"

meta_of() {	# series -> suffix of the metapackages
	case $1 in
	6.1) echo amd64 ;;
	6.12) echo 6.12-amd64 ;;
	*) echo "kernels: unknown series $1" >&2; exit 1 ;;
	esac
}

# The first dependency of package $1 whose name starts with $2.
dep_of() {
	apt-cache depends "$1" 2>/dev/null |
		awk -v p="$2" '$1 ~ /Depends:/ && index($2, p) == 1 { print $2; exit }'
}

# The release a metapackage points at, e.g. 6.1.0-57-amd64.
release_of() {
	local dep
	dep=$(dep_of "linux-image-$(meta_of "$1")" linux-image-)
	[ -n "$dep" ] || { echo "kernels: cannot resolve the $1 kernel (apt-get update?)" >&2; exit 1; }
	echo "${dep#linux-image-}"
}

for series in ${@:-6.1 6.12}; do
	link=$cache/$series
	if [ -f "$link/.complete" ] && [ -f "$link/.headers" ]; then
		continue
	fi
	rel=$(release_of "$series")
	dest=$cache/$rel
	if [ ! -f "$dest/.complete" ] || [ ! -f "$dest/.headers" ]; then
		hdr=linux-headers-$rel
		common=$(dep_of "$hdr" linux-headers-)
		kbuild=$(dep_of "$hdr" linux-kbuild-)
		[ -n "$common" ] && [ -n "$kbuild" ] ||
			{ echo "kernels: cannot resolve the packages of $hdr" >&2; exit 1; }
		echo "kernels: fetching $rel (image, $hdr, $common, $kbuild)"
		rm -rf "$dest" && mkdir -p "$dest/deb" && chmod 777 "$dest/deb"  # apt downloads as _apt
		(cd "$dest/deb" && apt-get download -q "linux-image-$rel" "$hdr" "$common" "$kbuild")
		for deb in "$dest"/deb/*.deb; do
			dpkg -x "$deb" "$dest/root"
		done
		rm -rf "$dest/deb"
		kdir=$dest/root/usr/src/$hdr
		# The arch Makefile includes the -common one by its absolute
		# /usr/src path; everything else in the trees is relative.
		sed -i "s|^include /usr/src/|include $dest/root/usr/src/|" "$kdir/Makefile"
		grep -q "^include $dest/root/usr/src/$common/Makefile" "$kdir/Makefile" ||
			{ echo "kernels: unexpected $kdir/Makefile" >&2; exit 1; }
		cp "$dest/root/boot/vmlinuz-$rel" "$dest/vmlinuz"
		echo "$rel" >"$dest/release"
		echo "$kdir" >"$dest/kdir"
		touch "$dest/.complete" "$dest/.headers"
	fi
	ln -sfn "$rel" "$link"
done
