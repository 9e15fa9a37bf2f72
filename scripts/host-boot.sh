#!/usr/bin/env bash
# Hold the test set-up to its promise that it never changes how the host
# boots: `make check` snapshots /boot (and the /vmlinuz, /initrd.img links
# a kernel package sets up) before it installs anything, and check.sh
# compares at the end and reports the result like a test.
#
# Usage: scripts/host-boot.sh snapshot FILE
#        scripts/host-boot.sh compare FILE     (prints one RESULT line)
set -euo pipefail
listing() {
	local p paths=()
	# Only the paths that exist: find fails on a missing one, and a
	# host without a kernel package has no /vmlinuz link.
	for p in /boot /vmlinuz /vmlinuz.old /initrd.img /initrd.img.old; do
		[ -e "$p" ] || [ -L "$p" ] && paths+=("$p")
	done
	[ ${#paths[@]} -gt 0 ] || return 0
	find "${paths[@]}" -maxdepth 3 -printf '%p %y %s %T@ %l\n' | sort
}
case ${1:-} in
snapshot)
	mkdir -p "$(dirname "$2")"
	listing >"$2"
	;;
compare)
	if [ ! -f "$2" ]; then
		echo "RESULT SKIP build/host-boot-unchanged no snapshot (run through make check)"
	elif listing | cmp -s - "$2"; then
		echo "RESULT PASS build/host-boot-unchanged /boot as before the set-up"
	else
		echo "RESULT FAIL build/host-boot-unchanged /boot changed: $(listing | diff "$2" - | grep -c '^[<>]') line(s) differ"
	fi
	;;
*)
	sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
