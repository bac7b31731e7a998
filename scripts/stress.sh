#!/usr/bin/env bash
# make stress: the userfaultfd bounce selftest again and again, in one boot of
# the debug kernel, for STRESS_MINUTES.
#   stress.sh [KERNEL]     boot KERNEL (build/bzImage-debug; `make stress`
#                          builds it first) and run the loop
#   stress.sh --summarize  judge the last run's logs again
# Knobs, from the environment or as make variables:
#   STRESS_MINUTES (30)        time budget; no iteration starts after it
#   STRESS_N (20)              sizes are 10..N+9 MiB, drawn at each iteration
#   STRESS_BOUNCES (99)        the selftest's bounces argument
#   STRESS_TYPE (anon)         the selftest's test type (anon, shmem, ...)
#   STRESS_ITER_TIMEOUT (1200) seconds one iteration may take
#   STRESS_SEED (random)       fixes the sequence of sizes
# The guest runs `userfaultfd TYPE SIZE BOUNCES` through tests/guest/stress-loop
# (tests/groups/stress.list). Each iteration's line shows up here as it
# happens; the summary goes to build/logs/stress.summary and stdout. Exit
# status non-zero on any failed iteration, any kernel splat, any guest
# failure (panic, hang, host timeout), or when no iteration completed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_lock stress

logs=$BUILD/logs
params=$logs/stress.params
summary=$logs/stress.summary
ITER_RE='^(not )?ok [0-9]+ stress size='

# Judge the logs of the last run: write $summary, print it, set the exit status.
summarize() {
	local console=$logs/stress.console tap=$logs/stress.tap result=$logs/stress.result.json
	local sline iters fails splats reasons=() durs
	[ -f "$params" ] || die "no stress run to summarize (no $params)"
	# The loop's summary: from the TAP port (no kernel messages interleaved
	# there), else from the console.
	sline=$(sed -n 's/\r$//; s/^# \(stress: [0-9]* iterations, .*\)$/\1/p' "$tap" 2>/dev/null | tail -n1) || true
	[ -n "$sline" ] || sline=$(sed -n 's/\r$//; /^stress: [0-9]* iterations, /p' "$console" 2>/dev/null | tail -n1) || true
	{
		cat "$params"
		# Iterations that failed, and the durations of those that passed.
		sed 's/\r$//' "$console" 2>/dev/null | grep -E "$ITER_RE" | grep '^not ok' || true
		durs=$(sed 's/\r$//' "$console" 2>/dev/null | grep -E '^ok [0-9]+ stress size=' |
			sed -n 's/.* time=\([0-9]*\)s.*/\1/p' |
			awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
			     END { if (NR) printf "%d passed in %d..%ds, %ds on average", NR, lo, hi, s / NR }') || true
		[ -z "$durs" ] || echo "durations: $durs"
		if [ -n "$sline" ]; then
			echo "$sline"
			read -r iters fails splats < <(sed -E 's/^stress: ([0-9]+) iterations, ([0-9]+) failures, ([0-9]+) splats.*/\1 \2 \3/' <<<"$sline")
		else
			# No summary: the loop did not finish; count what the console shows.
			iters=$(sed 's/\r$//' "$console" 2>/dev/null | grep -cE "$ITER_RE" || true)
			fails=$( (sed 's/\r$//' "$console" 2>/dev/null | grep -E "$ITER_RE" || true) | grep -c '^not ok' || true)
			splats=$( (sed 's/\r$//' "$console" 2>/dev/null | grep -E "$ITER_RE" || true) | grep -c '# kernel splat' || true)
			echo "stress: $iters iterations, $fails failures, $splats splats (seen on the console; the loop did not finish)"
			reasons+=("the loop did not finish")
		fi
		[ "$fails" -eq 0 ] || reasons+=("$fails failed iteration(s)")
		[ "$splats" -eq 0 ] || reasons+=("$splats kernel splat(s)")
		[ "$iters" -gt 0 ] || reasons+=("no iteration completed")
		# The guest run's verdict: the loop's test and the whole kernel log
		# (a splat outside the iterations, a panic, a hang, the host timeout).
		if [ -s "$result" ]; then
			verdict tests "$result" | tr '\t' ' ' | sed 's/^/guest: /'
			verdict ok "$result" ||
				reasons+=("guest: $(verdict tests "$result" fail | head -n1 | tr '\t' ' ' | cut -c1-160)")
		else
			reasons+=("no guest verdict ($result)")
		fi
		if [ ${#reasons[@]} -eq 0 ]; then
			echo "stress: PASS"
		else
			sline=$(printf '%s; ' "${reasons[@]}")
			echo "stress: FAIL: ${sline%; }"
		fi
	} >"$summary"
	cat "$summary"
	echo "summary: $summary, console: $console"
	[ ${#reasons[@]} -eq 0 ]
}

if [ "${1:-}" = --summarize ]; then
	summarize
	exit $?
fi

need_all
need pgrep procps
kernel=${1:-$BUILD/bzImage-debug}
[ -f "$kernel" ] || die "no kernel image $kernel: run 'make kernel-debug' (or 'make stress', which builds it)"
minutes=${STRESS_MINUTES:-30}
n=${STRESS_N:-20}
bounces=${STRESS_BOUNCES:-99}
type=${STRESS_TYPE:-anon}
itmo=${STRESS_ITER_TIMEOUT:-1200}
seed=${STRESS_SEED:-$RANDOM}
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || die "STRESS_MINUTES=$minutes is not a number of minutes"
for v in STRESS_N="$n" STRESS_BOUNCES="$bounces" STRESS_ITER_TIMEOUT="$itmo" STRESS_SEED="$seed"; do
	[[ ${v#*=} =~ ^[0-9]+$ ]] || die "$v is not a whole number"
done
if [ "$n" -eq 0 ] || [ "$bounces" -eq 0 ] || [ "$itmo" -eq 0 ]; then
	die "STRESS_N, STRESS_BOUNCES and STRESS_ITER_TIMEOUT must be at least 1"
fi
[[ $type =~ ^[a-z_]+(:wp)?$ ]] || die "STRESS_TYPE=$type is not a test type"
secs=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
# The guest-side limit of the loop: the budget, one more iteration, and some
# slack. boot.sh adds its boot allowance for the host-side limit.
tmo=$((secs + itmo + 60))

stage "test programs"
out=$BUILD/tests-stress
# The knobs fill the list's placeholders; @SIZE@ stays for stress-loop.
"$TOP/scripts/build-tests.sh" "$out" TIMEOUT="$tmo" SECONDS="$secs" N="$n" \
	SEED="$seed" ITER_TIMEOUT="$itmo" TYPE="$type" BOUNCES="$bounces" \
	SIZE=@SIZE@ stress
if ! [ -f "$TREE/tools/testing/selftests/vm/userfaultfd.c" ] || ! [ -x "$out/bin/userfaultfd" ]; then
	die "the tree has no tools/testing/selftests/vm/userfaultfd.c yet: nothing to stress"
fi
grep -q 'stress-loop' "$out/list" || die "no stress test in $out/list"

mkdir -p "$logs"
rm -f "$logs"/stress.{console,tap,result,result.json,status,summary}
printf 'stress: %s, %s min (%ss; host limit %ss), userfaultfd %s <10..%s MiB> %s, seed %s, iteration timeout %ss\n' \
	"${kernel#"$TOP"/}" "$minutes" "$secs" "$((tmo + ${BOOT_ALLOWANCE:-300}))" "$type" "$((n + 9))" \
	"$bounces" "$seed" "$itmo" >"$params"
stage "boot $(basename "$kernel") and stress for $minutes min"
cat "$params"

"$TOP/scripts/boot.sh" stress "$kernel" "$out/list" "$out/bin" >"$logs/stress.boot" 2>&1 &
bpid=$!
# Stopped early: stop the guest too (boot.sh's child is `timeout`, which
# passes the signal on to QEMU).
stop() {
	local p
	for p in $(pgrep -P "$bpid" || true); do kill -TERM "$p" 2>/dev/null || true; done
	kill -TERM "$bpid" ${tpid:+"$tpid"} 2>/dev/null || true
	say "stress: stopped; the guest was killed"
	exit 130
}
trap stop INT TERM
# The iteration lines, as the guest prints them.
tail -n +1 -F --pid="$bpid" "$logs/stress.console" 2>/dev/null |
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ $ITER_RE || $line =~ ^stress: ]]; then
			printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$line"
		fi
	done &
tpid=$!
brc=0
wait "$bpid" || brc=$?
wait "$tpid" 2>/dev/null || true
trap - INT TERM
stage "done (boot.sh exit $brc)"
summarize
