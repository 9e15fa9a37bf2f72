#!/usr/bin/env bash
# `make bench`: boot each benchmark configuration in its emulator, run the
# benchmark programs there on vmem and then on the distribution's KVM (one
# driver loaded at a time, same machine, same run), and print one table per
# configuration: cost per operation on each driver and the vmem/KVM ratio.
# Benchmarks only print; nothing here passes or fails on a figure.
#
# Usage: scripts/bench.sh [-c CONFIG]... [-r ROUNDS] [-a "ARGS"]
#   -c CONFIG  run only this configuration (VMEM_BENCH_CONFIGS, configs.sh)
#   -r ROUNDS  alternate vmem and KVM this many times (default 1); the
#              table shows the best round (interference only adds time)
#   -a ARGS    extra arguments for every benchmark program, e.g.
#              "--repeat 5 --scale 0.5" or "--only cpuid,out"
# Environment: VMEM_BUILD (default build/), VMEM_BENCH_TIMEOUT (seconds per
# program and driver inside the machine, default 900).
# Output: the tables; raw figures in $VMEM_BUILD/bench/<config>/figures.tsv,
# the tables in table.txt, logs run.console (kernel) and run.tests (output).
# Two tables per configuration: vmem against KVM per workload, and the
# paging table (issue #8): each driver's shadow and hardware-assisted
# paging on a workload with little and one with much page-table activity
# (Documentation/testing.rst, "Reading make bench").
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/configs.sh"
build=${VMEM_BUILD:-$top/build}
want_cfgs=() bargs="" rounds=1
while getopts "c:r:a:h" o; do
	case $o in
	c) want_cfgs+=("$OPTARG") ;;
	r) rounds=$OPTARG ;;
	a) bargs+="${bargs:+ }$OPTARG" ;;
	*) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done

declare -a cfgs
while read -r name series emu cpu params kvm cargs; do
	[ -n "$name" ] || continue
	if [ ${#want_cfgs[@]} -gt 0 ]; then
		printf '%s\n' "${want_cfgs[@]}" | grep -qx "$name" || continue
	fi
	cfgs+=("$name $series $emu $cpu $params $kvm ${cargs:--}")
done <<<"$VMEM_BENCH_CONFIGS"
if [ ${#cfgs[@]} -eq 0 ]; then
	echo "bench: no benchmark configuration matches ${want_cfgs[*]}" >&2
	exit 2
fi
series_used=$(printf '%s\n' "${cfgs[@]}" | awk '{print $2}' | sort -u)

# ---- builds -----------------------------------------------------------------
"$top/scripts/kernels.sh" $series_used || exit 1
mkdir -p "$build/logs"
for s in $series_used; do
	rel=$(cat "$top/.cache/kernels/$s/release")
	log=$build/logs/bench-build-$s.log
	echo "bench: building vmem for $rel"
	# A module that does not build still leaves the KVM side to measure.
	if ! "$top/scripts/build-module.sh" "$rel" "$build/$s" >"$log" 2>&1; then
		grep -E '(error|warning):' "$log" | head -n 10 >&2
		echo "bench: the vmem module for $rel did not build (see $log): KVM side only" >&2
		rm -f "$build/$s/kmod/vmem.ko"
	fi
done
echo "bench: building userspace and the benchmark programs"
make -s -C "$top/userspace" OUT="$build/userspace" >"$build/logs/bench-userspace.log" 2>&1 &&
	make -s -C "$top/selftests/bench" OUT="$build/bench/bin" >"$build/logs/bench-programs.log" 2>&1 ||
	{ cat "$build/logs/bench-userspace.log" "$build/logs/bench-programs.log" >&2; exit 1; }

# The Linux guest of the boot benchmark (missing: bench_boot skips).
"$top/scripts/guest/build.sh" "$build/guest" >"$build/logs/bench-guest.log" 2>&1 ||
	echo "bench: the Linux guest did not build (see $build/logs/bench-guest.log)" >&2

# ---- KVM modules ------------------------------------------------------------
# Module file of NAME (kvm-amd and kvm_amd alike) in a kernel tree.
find_ko() {	# moddir name
	find "$1" -regextype posix-extended \
		-regex ".*/$(echo "$2" | sed 's/[-_]/[-_]/g')\.ko(\.xz|\.zst|\.gz)?" | head -n 1
}
# Copy NAME and its dependencies, uncompressed, into DEST and append them
# to DEST/../kvm.modules in load order (dependencies first).
add_ko() {	# moddir name dest
	local moddir=$1 name=$2 dest=$3 ko dep base
	ko=$(find_ko "$moddir" "$name")
	[ -n "$ko" ] || { echo "bench: no module $name in $moddir" >&2; return 1; }
	base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
	grep -qx "$base" "$dest/../kvm.modules" 2>/dev/null && return 0
	for dep in $(modinfo -F depends "$ko" | tr , ' '); do
		add_ko "$moddir" "$dep" "$dest" || return 1
	done
	case $ko in
	*.xz) xz -dc "$ko" >"$dest/$base" ;;
	*.zst) zstd -qdc "$ko" >"$dest/$base" ;;
	*.gz) gzip -dc "$ko" >"$dest/$base" ;;
	*) cp "$ko" "$dest/$base" ;;
	esac
	echo "$base" >>"$dest/../kvm.modules"
}

# ---- the table --------------------------------------------------------------
# figures.tsv: one line per driver and workload, tab-separated: driver,
# workload, ops, ns (the measured window), VMM exits per op, unit, what.
to_figures() {	# raw "@@BENCH" lines (exits as a total) -> figures.tsv
	awk -F'\t' -v OFS='\t' '$1 == "@@BENCH" {
		print $2, $3, $4, $5, ($4 > 0 ? $6 / $4 : 0), $7, $8 }'
}

# Join both drivers into one row per workload: the best (lowest) of the
# rounds, as each program reports the best of its repetitions.
make_table() {	# figures.tsv title
	awk -F'\t' -v title="$2" '
	{
		d = $1; w = $2
		if (w ~ /@/)
			next	# in the paging table instead (make_paging_table)
		if (!(w in seen)) { seen[w] = 1; order[++n] = w; unit[w] = $6; what[w] = $7 }
		k = ++cnt[d, w]
		v[d, w, k] = $4 / $3; exits[d, w] = $5; have[d, w] = 1
	}
	function best(d, w,    i, m) {
		m = v[d, w, 1]
		for (i = 2; i <= cnt[d, w]; i++)
			if (v[d, w, i] < m) m = v[d, w, i]
		return m
	}
	# Time per unit in a unit that keeps it short: ns, us, ms, s.
	function t(ns) {
		if (ns < 1e4) return sprintf("%.0f ns", ns)
		if (ns < 1e7) return sprintf("%.1f us", ns / 1e3)
		if (ns < 1e9) return sprintf("%.1f ms", ns / 1e6)
		return sprintf("%.2f s", ns / 1e9)
	}
	function rate(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x) }
	function cell(d, w) {
		if (!have[d, w])
			return sprintf("%10s %9s %6s", "-", "-", "-")
		return sprintf("%10s %9s %6s", t(per[d, w]), rate(1e9 / per[d, w]), rate(exits[d, w]))
	}
	END {
		for (i = 1; i <= n; i++)
			for (dd = 0; dd < 2; dd++) {
				d = dd ? "kvm" : "vmem"
				if (have[d, order[i]]) per[d, order[i]] = best(d, order[i])
			}
		print title
		printf "%-10s %-5s | %-27s | %-27s | %s\n", "", "", "vmem", "KVM", ""
		printf "%-10s %-5s | %10s %9s %6s | %10s %9s %6s | %s\n", "workload", "unit", \
			"time/unit", "units/s", "exits", "time/unit", "units/s", "exits", "vmem/KVM"
		for (i = 1; i <= n; i++) {
			w = order[i]
			ratio = (have["vmem", w] && have["kvm", w]) ? \
				sprintf("%8.2f", per["vmem", w] / per["kvm", w]) : sprintf("%8s", "-")
			printf "%-10s %-5s | %s | %s | %s\n", w, unit[w], cell("vmem", w), cell("kvm", w), ratio
		}
		print ""
		for (i = 1; i <= n; i++)
			printf "  %-10s %s\n", order[i], what[order[i]]
		print "  exits: exits that reached the VMM per unit (0: handled in the kernel)."
		print "  vmem/KVM < 1: vmem is cheaper.  Emulated machine: compare ratios, not absolute times."
	}' "$1"
}

# The paging table: figures named <workload>@shadow and <workload>@tdp,
# best of the rounds, with shadow/TDP for each driver and vmem/KVM for
# each mode.  Nothing when the configuration has no such figures.
make_paging_table() {	# figures.tsv
	awk -F'\t' '
	$2 ~ /@/ {
		split($2, p, "@"); w = p[1]; m = p[2]; d = $1
		if (!(w in seen)) { seen[w] = 1; order[++n] = w; unit[w] = $6; what[w] = $7 }
		v = $4 / $3
		if (!((d, w, m) in best) || v < best[d, w, m]) best[d, w, m] = v
	}
	function t(ns) {
		if (ns < 1e4) return sprintf("%.0f ns", ns)
		if (ns < 1e7) return sprintf("%.1f us", ns / 1e3)
		if (ns < 1e9) return sprintf("%.1f ms", ns / 1e6)
		return sprintf("%.2f s", ns / 1e9)
	}
	function cell(d, w, m) { return ((d, w, m) in best) ? t(best[d, w, m]) : "-" }
	function ratio(a1, w, m1, a2, m2) {
		if (!((a1, w, m1) in best) || !((a2, w, m2) in best)) return "-"
		return sprintf("%.2f", best[a1, w, m1] / best[a2, w, m2])
	}
	END {
		if (!n) exit
		print ""
		print "paging (issue #8): time per unit on shadow and hardware-assisted (TDP) paging"
		printf "%-8s %-4s | %9s %9s %7s | %9s %9s %7s | %8s %8s\n", "", "", \
			"vmem", "vmem", "shadow/", "KVM", "KVM", "shadow/", "vmem/KVM", "vmem/KVM"
		printf "%-8s %-4s | %9s %9s %7s | %9s %9s %7s | %8s %8s\n", "workload", "unit", \
			"shadow", "TDP", "TDP", "shadow", "TDP", "TDP", "shadow", "TDP"
		for (i = 1; i <= n; i++) {
			w = order[i]
			printf "%-8s %-4s | %9s %9s %7s | %9s %9s %7s | %8s %8s\n", w, unit[w], \
				cell("vmem", w, "shadow"), cell("vmem", w, "tdp"), \
				ratio("vmem", w, "shadow", "vmem", "tdp"), \
				cell("kvm", w, "shadow"), cell("kvm", w, "tdp"), \
				ratio("kvm", w, "shadow", "kvm", "tdp"), \
				ratio("vmem", w, "shadow", "kvm", "shadow"), \
				ratio("vmem", w, "tdp", "kvm", "tdp")
		}
		print ""
		for (i = 1; i <= n; i++)
			printf "  %-8s %s\n", order[i], what[order[i]]
		print "  shadow/TDP < 1: shadow paging is cheaper for that driver.  vmem: VMEM_VM_MMU_SHADOW"
		print "  and _HW VMs in one run; KVM: the vendor module loaded with npt/ept=0, then =1."
	}' "$1"
}

# ---- one machine ----------------------------------------------------------
run_config() {	# name series emu cpu params kvm config-args
	local name=$1 series=$2 emu=$3 cpu=$4 params=$5 kvm=$6 cargs=$7
	local dir=$build/bench/$name rel moddir append wall t0 ko args
	rm -rf "$dir" && mkdir -p "$dir/extra/bench/kvm" "$dir/extra/bin" "$dir/tests"
	rel=$(cat "$top/.cache/kernels/$series/release")
	moddir=$top/.cache/kernels/$series/root/lib/modules/$rel

	cp "$top/scripts/run-bench.sh" "$dir/extra/bench/"
	chmod 755 "$dir/extra/bench/run-bench.sh"
	cp "$build/bench/bin/benches.list" "$build/bench/bin/modes.list" "$dir/extra/bench/"
	while read -r b; do cp "$build/bench/bin/$b" "$dir/extra/bench/"; done \
		<"$build/bench/bin/benches.list"
	# The machine's own arguments first, so that -a/BENCH_ARGS win.
	args=$bargs
	[ "$cargs" != "-" ] && args="${cargs//,/ }${bargs:+ $bargs}"
	echo "$args" >"$dir/extra/bench/args"
	: >"$dir/extra/bench/kvm.modules"
	if [ "$kvm" != "-" ]; then
		add_ko "$moddir" "$kvm" "$dir/extra/bench/kvm" ||
			{ echo "bench: $name: KVM side disabled" >&2; : >"$dir/extra/bench/kvm.modules"; }
		# The vendor module's paging switch, for the paging table.
		case $kvm in
		kvm[-_]amd) echo npt >"$dir/extra/bench/kvm.tdp_param" ;;
		kvm[-_]intel) echo ept >"$dir/extra/bench/kvm.tdp_param" ;;
		esac
	fi
	cp "$build/userspace/vmem" "$dir/extra/bin/" 2>/dev/null
	cp -r "$build/guest" "$dir/extra/guest" 2>/dev/null
	: >"$dir/tests/tests.list"
	ko=$build/$series/kmod/vmem.ko
	if [ ! -f "$ko" ]; then
		# /init's insmod of an empty file fails: the vmem side is skipped.
		ko=$dir/no-vmem.ko
		: >"$ko"
	fi
	"$top/scripts/mkinitramfs.sh" "$dir/initrd.gz" "$ko" "$dir/tests" "$dir/extra"

	append="vmemtest_mode=bench vmemtest_timeout=${VMEM_BENCH_TIMEOUT:-900} vmemtest_rounds=$rounds"
	[ "$params" != "-" ] && append+=" vmemtest_params=$params"
	# Boot, two drivers (KVM twice for modes.list), each program's time
	# limit, and margin.
	wall=$((600 + 3 * rounds * $(wc -l <"$dir/extra/bench/benches.list") * ${VMEM_BENCH_TIMEOUT:-900}))
	echo "bench: $name: booting ($emu, $cpu, KVM modules: $(paste -sd' ' "$dir/extra/bench/kvm.modules"))"
	t0=$SECONDS
	"$top/scripts/boot-$emu.sh" "$top/.cache/kernels/$series/vmlinuz" "$dir/initrd.gz" \
		"$dir/run" "$cpu" "$append" "$wall" kvm

	tr -d '\r' <"$dir/run.tests" | sed -n '/^@@BENCH-BEGIN/,/^@@BENCH-END/p' >"$dir/output.txt"
	to_figures <"$dir/output.txt" >"$dir/figures.tsv"
	{
		make_table "$dir/figures.tsv" \
			"== $name: $emu $cpu, Linux $rel, vmem params ${params/#-/none}, best of $rounds round(s), benchmark args: ${args:-none} =="
		make_paging_table "$dir/figures.tsv"
		sed -n 's/^@@BENCH-INFO /  machine: /p' "$dir/output.txt"
		sed -n 's/^@@BENCH-NOTE /  note: /p' "$dir/output.txt"
		# A program that failed: its RC line and the first lines it printed
		# outside the table (its error messages).
		awk '/^@@BENCH-RUN / { buf = ""; n = 0; next }
		     /^@@BENCH-RC / { if ($0 !~ / rc=(0|4) /) { print "  failed: " substr($0, 12); printf "%s", buf }
				      next }
		     /^@@|^#/ { next }
		     n++ < 20 { buf = buf "    " $0 "\n" }' "$dir/output.txt"
		if ! grep -q '^@@BENCH-END' "$dir/output.txt"; then
			echo "  the machine did not finish the benchmarks; kernel console tail ($dir/run.console):"
			tr -d '\r' <"$dir/run.console" | tail -n 25 | sed 's/^/    /'
		fi
		echo "  ($((SECONDS - t0)) s; logs in $dir)"
	} >"$dir/table.txt"
	cat "$dir/table.txt"
	echo
}

for c in "${cfgs[@]}"; do
	run_config $c
done
