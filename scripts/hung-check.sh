#!/usr/bin/env bash
# hung-check.sh [KERNEL]: boot KERNEL (build/bzImage-debug) with a task that
# hangs on purpose (tests/groups/hung.list) and check that the boot fails on
# the kernel's hung-task report and ends within HUNG_LIMIT (60) seconds of
# the report reaching the console. make check runs it after its main boot.
# Logs: build/logs/hung.*.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:-$BUILD/bzImage-debug}
limit=${HUNG_LIMIT:-60}
out=$BUILD/tests-hung
logs=$BUILD/logs
"$TOP/scripts/build-tests.sh" "$out" hung
grep -q . "$out/list" || die "no hung-task program in $out"
console=$logs/hung.console
rm -f "$console"
"$TOP/scripts/boot.sh" hung "$kernel" "$out/list" "$out/bin" >"$logs/hung.boot" 2>&1 &
bpid=$!
trap 'kill -TERM "$bpid" 2>/dev/null; wait "$bpid"; exit 130' INT TERM
# When the report shows up on the console, to a fifth of a second.
seen=
while kill -0 "$bpid" 2>/dev/null; do
	if [ -z "$seen" ] && grep -aq 'blocked for more than' "$console" 2>/dev/null; then
		seen=$(date +%s.%N)
	fi
	sleep 0.2
done
rc=0
wait "$bpid" || rc=$?
end=$(date +%s.%N)
trap - INT TERM
[ $rc -ne 0 ] || die "the boot with a hung task passed (verdict $logs/hung.result)"
[ -n "$seen" ] || die "no hung-task report on the console ($console)"
result=$logs/hung.result.json
verdict reason "$result" host | grep -q '^the host ended the boot on a kernel splat: .*blocked for more than' ||
	die "the boot failed, but not on the hung task: $(verdict tests "$result" fail | head -n1 | tr '\t' ' ')"
took=$(awk -v a="$seen" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
awk -v t="$took" -v l="$limit" 'BEGIN { exit !(t <= l) }' ||
	die "the boot ended ${took}s after the hung-task report (limit ${limit}s)"
echo "the boot failed on the hung task and ended ${took}s after the report (limit ${limit}s)"
