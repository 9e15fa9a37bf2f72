#!/bin/busybox sh
# /init of the guest that `vmem run` boots (scripts/guest/build.sh).
# The kernel passes unknown command-line words like guest=MODE to init as
# environment variables; MODE:
#   demo    (default) banner, uname -a, head -3 /proc/meminfo, power off
#   wait    as demo, but then stay up until a line "poweroff" arrives on
#           the console (make run keeps two guests up while vmem shares
#           their pages, then stops them through their consoles)
#   shell   banner, then an interactive shell on the console; its exit
#           powers off
#   panic   banner, then crash the kernel (sysrq c): pvpanic reports it
#   reboot  banner, then reboot -f
#   halt    banner, then halt -f
#   clock   banner, then after 3 s (several clocksource-watchdog rounds)
#           the clocksource in use and whether the kernel called a clock
#           unstable, then power off
# The banner is the first line userspace prints: tests and the demo time
# the boot up to it.
export PATH=/bin
mount -t proc proc /proc
read -r up _ </proc/uptime
echo "vmem-guest: hello from userspace (${up}s after the kernel started)"
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# pvpanic tells the launcher when the kernel panics (ACPI QEMU0001).
insmod /lib/modules/pvpanic.ko 2>/dev/null
insmod /lib/modules/pvpanic-mmio.ko 2>/dev/null
case ${guest:-demo} in
demo)
	echo '$ uname -a'
	uname -a
	echo '$ head -3 /proc/meminfo'
	head -3 /proc/meminfo
	echo "vmem-guest: powering off"
	poweroff -f
	;;
wait)
	echo '$ uname -a'
	uname -a
	echo '$ head -3 /proc/meminfo'
	head -3 /proc/meminfo
	echo "vmem-guest: up; waiting for \"poweroff\" on the console"
	while read -r line; do
		[ "$line" = poweroff ] && break
	done
	echo "vmem-guest: powering off"
	poweroff -f
	;;
shell)
	echo "vmem-guest: shell ready"
	setsid cttyhack sh -i
	echo "vmem-guest: shell exited, powering off"
	poweroff -f
	;;
panic)
	echo "vmem-guest: crashing the kernel"
	echo c >/proc/sysrq-trigger
	;;
reboot)
	echo "vmem-guest: rebooting"
	reboot -f
	;;
clock)
	sleep 3
	cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
	echo "vmem-guest: clocksource $(cat $cs), $(dmesg | grep -ci unstable) unstable"
	dmesg | grep -i -e unstable -e clocksource
	echo "vmem-guest: powering off"
	poweroff -f
	;;
halt)
	echo "vmem-guest: halting"
	halt -f
	;;
*)
	echo "vmem-guest: unknown guest=$guest, powering off"
	poweroff -f
	;;
esac
# Not reached unless the above failed.
sleep 1
poweroff -f
