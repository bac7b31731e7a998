#!/usr/bin/env bash
# make check: every check the project has, each counted; ends with the line
# "N passed, M failed". Exit status non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
run_lock check

mkdir -p "$BUILD/logs"
results=$BUILD/logs/check.results
: >"$results"
pass() { echo "pass $*" >>"$results"; }
fail() { echo "fail $*" >>"$results"; printf '  FAIL %s\n' "$*"; }
# record NAME CMD...: one check; a failure's last error line is its reason.
record() {
	local name=$1 log
	shift
	log=$BUILD/logs/check-$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_').log
	if "$@" >"$log" 2>&1; then
		pass "$name"
	else
		fail "$name: $(grep -E '^error:|FAIL|ERROR' "$log" | tail -n1 | cut -c1-200) (log $log)"
		return 1
	fi
}
finish() {
	local p f
	p=$(grep -c '^pass' "$results")
	f=$(grep -c '^fail' "$results")
	stage "done; results in $results"
	echo "$p passed, $f failed"
	[ "$f" -eq 0 ]
	exit $?
}

need_all

stage "harness tests"
if python3 -m unittest discover -s "$TOP/tests/harness" -v >"$BUILD/logs/harness.log" 2>&1; then :; fi
while IFS= read -r line; do
	case $line in
	*" ... ok") pass "harness: ${line%% ... ok}" ;;
	*" ... FAIL"|*" ... ERROR") fail "harness: $line" ;;
	esac
done <"$BUILD/logs/harness.log"
grep -q '^OK' "$BUILD/logs/harness.log" || fail "harness: unittest did not finish OK (log $BUILD/logs/harness.log)"

stage "tree"
record "tree" "$TOP/scripts/series.sh" ensure || finish
stage "export-check"
record "export-check" "$TOP/scripts/series.sh" check

stage "checkpatch"
for p in "$TOP"/base/prep/*.patch; do
	[ -e "$p" ] || continue
	record "checkpatch (errors) base/prep/$(basename "$p")" "$TOP/scripts/checkpatch.sh" errors "$p"
done
for p in "$TOP"/patches/*.patch; do
	[ -e "$p" ] || continue
	case $(basename "$p") in 0000-cover-letter.patch) continue ;; esac
	record "checkpatch --strict patches/$(basename "$p")" "$TOP/scripts/checkpatch.sh" strict "$p"
done

stage "kernel-doc"
record "kernel-doc: series files in fs/ mm/ include/ kernel/" "$TOP/scripts/kernel-doc.sh" "$TREE" base

stage "base has no userfaultfd; the series wires up the system call"
record "no userfaultfd at base" "$TOP/scripts/uffd-grep.sh"
record "system call tables as at pristine" "$TOP/scripts/uffd-syscalls.sh"

stage "debug kernel build"
record "build debug kernel" "$TOP/scripts/build-kernel.sh" debug || finish
stage "W=1 and sparse warnings"
record "W=1/sparse: series files vs base" "$TOP/scripts/warnings.sh" debug base

stage "test programs"
record "build test programs" "$TOP/scripts/build-tests.sh" "$BUILD/tests-check" smoke mm-health uffd upstream clients || finish

stage "boot and run $(grep -c . "$BUILD/tests-check/list") tests in the guest"
# Each guest result line as it arrives.
rm -f "$BUILD/logs/check.tap"
"$TOP/scripts/boot.sh" check "$BUILD/bzImage-debug" "$BUILD/tests-check/list" "$BUILD/tests-check/bin" >/dev/null 2>&1 &
bpid=$!
trap 'kill -TERM "$bpid" 2>/dev/null; wait "$bpid"; exit 130' INT TERM
tail -n +1 -F --pid="$bpid" "$BUILD/logs/check.tap" 2>/dev/null |
	grep --line-buffered -E '^(ok|not ok) ' | sed -u 's/^/  guest: /' || true
wait "$bpid" || true
trap - INT TERM
# The verdict as data: one line a test, "STATUS<TAB>NAME<TAB>REASON".
while IFS=$'\t' read -r st name reason; do
	case $st in
	pass) pass "guest: $name${reason:+ # $reason}" ;;
	skip) pass "guest: $name # SKIP $reason" ;;
	*) fail "guest: $name # $reason" ;;
	esac
done < <(verdict tests "$BUILD/logs/check.result.json")
say "guest console: $BUILD/logs/check.console"

stage "a guest with a hung task fails early"
record "hung task: the boot fails within 60 s of the report" "$TOP/scripts/hung-check.sh" "$BUILD/bzImage-debug"
finish
