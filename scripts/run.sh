#!/usr/bin/env bash
# make run: fetch, prepare, build, boot, run the userfaultfd selftest (the
# smoke test while the series has none), and print a summary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_lock run

stage "tools"
need_all
stage "base and tree"
"$TOP/scripts/series.sh" ensure
stage "guest kernel"
"$TOP/scripts/build-kernel.sh" guest
stage "test programs"
"$TOP/scripts/build-tests.sh" "$BUILD/tests" uffd
if ! grep -q . "$BUILD/tests/list"; then
	say "the series has no userfaultfd selftest yet: running the guest smoke test"
	"$TOP/scripts/build-tests.sh" "$BUILD/tests" smoke
fi
stage "boot and run $(grep -c . "$BUILD/tests/list") test(s)"
rc=0
"$TOP/scripts/boot.sh" run "$BUILD/bzImage" "$BUILD/tests/list" "$BUILD/tests/bin" || rc=$?
stage "done"
exit $rc
