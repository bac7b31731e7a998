#!/usr/bin/env bash
# make bench: run the userfaultfd benchmarks of bench/ on the reference kernel
# (pristine 6.1, upstream userfaultfd) and on ours, both with the guest
# config, the same binaries and the same QEMU settings, and write
# build/bench/report.md, report.json and the latency plots.
#
#   1. deterministic mode (tests/groups/bench.list): TCG -icount
#      shift=0,sleep=off, one vCPU (ICOUNT=1 of boot.sh); guest time counts
#      instructions. Two CPU models: `det` is -cpu max (ERMS and FSRM, so
#      the kernel copies and clears pages with rep movsb/stosb, which counts
#      one instruction a byte), `det-noerms` the same without ERMS and FSRM
#      (rep movsq/stosq: one a word). BENCH_DET_RUNS (2) boots of each
#      kernel in each; the report gives the first and how far the others
#      differ from it.
#   2. wall-clock mode (tests/groups/bench-wall.list): multi-threaded TCG,
#      2 vCPUs, BENCH_ROUNDS (5) rounds in ABBA order (ref ours, ours ref,
#      ref ours, ...), so that a drift of the host's speed weighs on both;
#      the report gives the median, min and max, and flags a metric only
#      when the two kernels' [min, max] ranges do not overlap.
#
# Every boot has "norandmaps" on its command line: no address-space
# randomization in the guest, one cause of variation less.
# BENCH_MODES (det det-noerms wall) picks the modes. BENCH_NO_BUILD=1 uses the kernel
# images as they are. The previous report.json is kept as previous.json; the
# report compares the deterministic figures with it when the images are the
# same.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_lock bench

det_runs=${BENCH_DET_RUNS:-2}
rounds=${BENCH_ROUNDS:-5}
modes=${BENCH_MODES:-det det-noerms wall}
out=$BUILD/bench
ref_img=$BUILD/bzImage-ref
ours_img=$BUILD/bzImage

need gnuplot gnuplot-nox
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	stage "reference kernel (pristine 6.1)"
	"$TOP/scripts/build-kernel.sh" ref
	stage "our kernel"
	"$TOP/scripts/build-kernel.sh" guest
fi
[ -f "$ref_img" ] || die "no $ref_img: run 'make ref-kernel'"
[ -f "$ours_img" ] || die "no $ours_img: run 'make kernel'"
stage "benchmark programs"
# The same sources, hence the same binaries, for both lists.
"$TOP/scripts/build-tests.sh" "$out/det" bench
"$TOP/scripts/build-tests.sh" "$out/wall" bench-wall
cmp -s "$out/det/bin/uffd-bench" "$out/wall/bin/uffd-bench" ||
	die "the two builds of uffd-bench differ"
for mode in det wall; do
	grep -q . "$out/$mode/list" || die "no benchmark programs were built"
done

mkdir -p "$out/raw"
[ -f "$out/report.json" ] && mv -f "$out/report.json" "$out/previous.json"
rm -f "$out"/raw/* "$out/report.md" "$out"/*.png

export EXTRA_APPEND="${EXTRA_APPEND:-} norandmaps"
# boot_one MODE KERNEL(ref|ours) RUN: one boot; its TAP goes to raw/.
failed=0
boot_one() {
	local mode=$1 k=$2 run=$3 img=$ours_img name t0 icount=0 list=$1 cpu=
	[ "$k" = ref ] && img=$ref_img
	name=bench-$mode-$k-$run
	t0=$(date +%s)
	case $mode in
	det) icount=1 ;;
	det-noerms) icount=1 list=det cpu=erms=off,fsrm=off ;;
	esac
	ICOUNT=$icount CPU_FEATURES=$cpu SMP=2 "$TOP/scripts/boot.sh" "$name" "$img" \
		"$out/$list/list" "$out/$list/bin" >/dev/null || failed=$((failed + 1))
	cp "$BUILD/logs/$name.tap" "$out/raw/$mode-$k-$run.tap"
	cp "$BUILD/logs/$name.result" "$out/raw/$mode-$k-$run.result"
	cp "$BUILD/logs/$name.result.json" "$out/raw/$mode-$k-$run.result.json" 2>/dev/null || true
	printf '       %s: %s (%ds)\n' "$name" \
		"$(verdict summary "$BUILD/logs/$name.result.json")" $(($(date +%s) - t0))
}

for mode in $modes; do
	case $mode in
	det|det-noerms)
		for run in $(seq 1 "$det_runs"); do
			for k in ref ours; do
				stage "deterministic mode ($mode), run $run/$det_runs: $k"
				boot_one "$mode" $k "$run"
			done
		done
		;;
	wall)
		for run in $(seq 1 "$rounds"); do
			order="ref ours"
			[ $((run % 2)) -eq 0 ] && order="ours ref"
			for k in $order; do
				stage "wall-clock mode, round $run/$rounds: $k"
				boot_one wall $k "$run"
			done
		done
		;;
	*) die "unknown benchmark mode '$mode' (det, det-noerms, wall)" ;;
	esac
done

stage "report"
rc=0
python3 "$TOP/scripts/bench-report.py" --out "$out" \
	--ref-image "$ref_img" --ours-image "$ours_img" \
	--ref-tree "$BUILD/linux-ref" --ours-tree "$TREE" \
	--ref-config "$BUILD/obj/ref/.config" --ours-config "$BUILD/obj/guest/.config" \
	>/dev/null || rc=$?
(cd "$out" && gnuplot plot.gp) || die "gnuplot failed (script $out/plot.gp)"
stage "done: $out/report.md"
[ "$failed" -eq 0 ] || die "$failed boot(s) had failing benchmarks: see $out/raw/*.result"
[ "$rc" -eq 0 ] || die "the report is incomplete: see $out/report.md"
