#!/usr/bin/env bash
# Fetch the Debian 12 kernels the harness boots: headers installed with apt
# (their Makefiles name absolute /usr/src paths), images downloaded and
# unpacked into .cache/kernels/<release>/, never installed into /boot.
#
# Usage: scripts/kernels.sh [series...]     series: 6.1 6.12 (default: both)
# Prints nothing when everything is already in place.
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

# The release a metapackage points at, e.g. 6.1.0-56-amd64.
release_of() {
	local dep
	dep=$(apt-cache depends "linux-image-$(meta_of "$1")" 2>/dev/null |
		awk '/Depends: linux-image-/ { sub(".*linux-image-", ""); print; exit }')
	if [ -z "$dep" ]; then
		# No package lists (fresh machine): fall back to installed headers.
		dep=$(dpkg-query -W -f='${Depends}' "linux-headers-$(meta_of "$1")" 2>/dev/null |
			sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p')
	fi
	[ -n "$dep" ] || { echo "kernels: cannot resolve the $1 kernel" >&2; exit 1; }
	echo "$dep"
}

for series in ${@:-6.1 6.12}; do
	link=$cache/$series
	if [ -f "$link/.complete" ] && [ -d "/usr/src/linux-headers-$(cat "$link/release")" ]; then
		continue
	fi
	rel=$(release_of "$series")
	dest=$cache/$rel
	if [ ! -d "/usr/src/linux-headers-$rel" ]; then
		echo "kernels: installing headers for $rel"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"linux-headers-$rel"
	fi
	if [ ! -f "$dest/.complete" ]; then
		echo "kernels: fetching the $rel image"
		rm -rf "$dest" && mkdir -p "$dest/deb" && chmod 777 "$dest/deb"  # apt downloads as _apt
		(cd "$dest/deb" && apt-get download -q "linux-image-$rel")
		dpkg -x "$dest"/deb/linux-image-*.deb "$dest/root"
		rm -rf "$dest/deb"
		cp "$dest/root/boot/vmlinuz-$rel" "$dest/vmlinuz"
		echo "$rel" >"$dest/release"
		touch "$dest/.complete"
	fi
	ln -sfn "$rel" "$link"
done
