#!/usr/bin/env bash
# make health-compare: run the base mm health tests on the pristine kernel
# (upstream userfaultfd) and on ours, both with the guest config, and
# compare their verdicts. They must be the same.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_lock health-compare

stage "kernels"
"$TOP/scripts/build-kernel.sh" guest
"$TOP/scripts/build-kernel.sh" ref
stage "tests"
"$TOP/scripts/build-tests.sh" "$BUILD/tests-health" mm-health mm-health-all
for k in ref ours; do
	img=$BUILD/bzImage
	[ $k = ref ] && img=$BUILD/bzImage-ref
	stage "boot $k"
	"$TOP/scripts/boot.sh" "health-$k" "$img" "$BUILD/tests-health/list" "$BUILD/tests-health/bin" >/dev/null || true
done
# Compare verdicts (pass, fail, skip), not the reasons.
verdicts() { verdict tests "$BUILD/logs/health-$1.result.json" | cut -f1,2 | tr '\t' ' '; }
stage "compare"
paste -d'|' <(verdicts ref) <(verdicts ours) |
	awk -F'|' '{ printf "%-45s %-45s %s\n", $1, $2, ($1 == $2 ? "" : "DIFFERS") }'
if ! diff -q <(verdicts ref) <(verdicts ours) >/dev/null; then
	die "the base mm health results differ between the pristine kernel and ours"
fi
stage "same results on both kernels"
