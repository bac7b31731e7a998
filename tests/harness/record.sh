#!/usr/bin/env bash
# Re-record the harness fixtures in tests/harness/logs/ from real guest runs
# of build/bzImage (run `make kernel` first). The "lockdep" case is recorded
# from a debug kernel run when KERNEL is given; see its README.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
logs=$top/tests/harness/logs
bin=$top/build/tests-check/bin
kernel=${KERNEL:-$top/build/bzImage}
"$top/scripts/build-tests.sh" "$top/build/tests-check" smoke >/dev/null

record() {
	local name=$1 list=$2
	shift 2
	mkdir -p "$logs/$name"
	printf '%b' "$list" >"$logs/$name/list"
	env "$@" "$top/scripts/boot.sh" "fixture-$name" "$kernel" "$logs/$name/list" "$bin" >/dev/null 2>&1 || true
	for f in console tap status; do
		cp "$top/build/logs/fixture-$name.$f" "$logs/$name/$f"
	done
	[ -s "$logs/$name/status" ] || rm -f "$logs/$name/status"
	cp "$top/build/logs/fixture-$name.result" "$logs/$name/expected"
}

record pass 'smoke\t60\tsmoke\nuname\t30\tuname -a\n'
record fail 'smoke\t60\tsmoke\nfalse\t30\tfalse\nuname\t30\tuname -a\n'
record panic 'smoke\t60\tsmoke\ncrash\t30\tsh -c "echo c >/proc/sysrq-trigger"\nuname\t30\tuname -a\n'
record hang 'smoke\t60\tsmoke\nhang\t600\tsleep 1000\nuname\t30\tuname -a\n' BOOT_ALLOWANCE=-540
