#!/bin/sh
# The story of `make run`, inside the demo machine (scripts/run-demo.sh
# puts it in /bin with the vmem tool and the guest of scripts/guest/):
# two Linux guests booted from the same image into one resource pool run
# side by side while vmem's sharing daemon merges their identical pages;
# `vmem stats` before and after, then both guests are powered off through
# their consoles and a summary of the figures is printed.
#
# Output goes between @@DEMO-BEGIN and @@DEMO-END; run-demo.sh shows it.

POOL=demo
GUESTS="guest1 guest2"
BOOT_WAIT=420		# seconds for both guests to reach userspace
SHARE_WAIT=420		# most seconds to wait for sharing to settle
SAMPLE=15		# seconds between samples while waiting

say() { echo; echo "\$ $*"; }
run() { say "$@"; "$@"; }

# One figure of the host line of `vmem stats --json`, in MiB.
host_mb() {
	vmem stats --json | sed -n "s/.*\"host\":{.*\"$1\":\([0-9]*\).*/\1/p" |
		awk '{ printf "%d", $1 / 256 }'
}

echo "@@DEMO-BEGIN"
run vmem info

# Mem.ShareScanTime defaults to 60 minutes per full scan of a VM (ESX's
# default); the demo has a few minutes.
run vmem tunable set Mem.ShareScanTime 1
run vmem pool create $POOL --reservation 512M

cmdline="$(cat /guest/cmdline) guest=wait"
fd=3
for g in $GUESTS; do
	# The guest's console input: a FIFO the demo holds open read-write,
	# so the guest never sees end of file and "poweroff" can reach it.
	mkfifo /tmp/$g.in
	eval "exec $fd<>/tmp/$g.in"
	say "vmem run --name $g --pool $POOL --reservation 64M --salt 42 \\"
	echo "      --memory 256M --kernel /guest/vmlinuz --initrd /guest/initrd.gz \\"
	echo "      --cmdline \"$cmdline\" --stats &"
	vmem run --name $g --pool $POOL --reservation 64M --salt 42 \
		--memory 256M --kernel /guest/vmlinuz --initrd /guest/initrd.gz \
		--cmdline "$cmdline" --time-line vmem-guest: --stats \
		</tmp/$g.in >/tmp/$g.out 2>&1 &
	echo $! >/tmp/$g.pid
	fd=$((fd + 1))
done

echo
echo "# waiting for both guests to reach userspace (they boot nested in an emulator)"
t=0
while [ $t -lt $BOOT_WAIT ]; do
	up=0
	for g in $GUESTS; do
		grep -q "vmem-guest: up" /tmp/$g.out && up=$((up + 1))
		kill -0 "$(cat /tmp/$g.pid)" 2>/dev/null || up=-99
	done
	[ $up -eq 2 ] || [ $up -lt 0 ] && break
	sleep 5
	t=$((t + 5))
done
echo "# after ${t}s: $(grep -l 'vmem-guest: up' /tmp/guest?.out | wc -l) of 2 guests up"

say "vmem pool ls"; vmem pool ls
say "vmem vm ls"; vmem vm ls
say "vmem stats        # before sharing has converged"; vmem stats
before=$(host_mb consumed)

echo
echo "# the sharing daemon scans each VM once a minute (Mem.ShareScanTime 1);"
echo "# a page is merged on its second visit if it has not changed (KSM's"
echo "# volatility filter): waiting until Shared has grown and then held for"
echo "# two samples ${SAMPLE}s apart, or the daemon says it converged"
t=0 last=-1 still=0
while [ $t -lt $SHARE_WAIT ]; do
	sleep $SAMPLE
	t=$((t + SAMPLE))
	shared=$(host_mb shared)
	conv=$(sed -n 's/^converged //p' /sys/kernel/debug/vmem/share)
	echo "#   ${t}s: Shared ${shared} MiB, Consumed $(host_mb consumed) MiB, converged ${conv}"
	if [ "$shared" -gt 0 ] && [ "$shared" = "$last" ]; then
		still=$((still + 1))
	else
		still=0
	fi
	last=$shared
	# Two quiet passes, each of a minute, after at least one merging one.
	[ "$conv" = 1 ] && [ $t -ge 180 ] && break
	[ $still -ge 2 ] && break
done

say "vmem stats        # after"; vmem stats
say "vmem vm ls"; vmem vm ls
after=$(host_mb consumed)
shared=$(host_mb shared)
common=$(host_mb shared_common)
saving=$(host_mb saving)

echo
echo "# powering both guests off through their consoles"
fd=3
for g in $GUESTS; do
	say "echo poweroff >/tmp/$g.in"
	eval "echo poweroff >&$fd"
	fd=$((fd + 1))
done
ok=0
for g in $GUESTS; do
	wait "$(cat /tmp/$g.pid)"
	rc=$?
	echo "---- $g console and launcher report ----"
	cat /tmp/$g.out
	echo "---- end of $g ----"
	echo "$g: vmem run exited with status $rc"
	[ $rc -eq 0 ] && ok=$((ok + 1))
done
run vmem pool rm $POOL

echo
echo "Summary: two 256 MiB Linux guests from one image, pool '$POOL', salt 42"
echo "  Consumed (host): ${before} MiB as they came up, ${after} MiB after sharing"
echo "  PSHARE/MB: ${shared} shared, ${common} common: ${saving} saving"
echo "  ${ok} of 2 guests powered off cleanly"
echo "@@DEMO-END"
