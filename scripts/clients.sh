#!/usr/bin/env bash
# make clients: the clients group (real userfaultfd clients from Debian: QEMU
# postcopy, stress-ng) alone, on one kernel, without the rest of make check.
# CLIENTS_KERNEL: debug (default, as make check), guest, or ref (the pristine
# base with upstream's userfaultfd), each built first as make kernel-debug,
# make kernel or make ref-kernel. Logs: build/logs/clients-KERNEL.*.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kind=${CLIENTS_KERNEL:-debug}
case $kind in
debug) img=$BUILD/bzImage-debug ;;
guest) img=$BUILD/bzImage ;;
ref) img=$BUILD/bzImage-ref ;;
*) die "CLIENTS_KERNEL must be debug, guest or ref, not '$kind'" ;;
esac
run_lock "clients-$kind"
stage "kernel ($kind)"
"$TOP/scripts/series.sh" ensure
"$TOP/scripts/build-kernel.sh" "$kind"
stage "test programs"
"$TOP/scripts/build-tests.sh" "$BUILD/tests-clients" clients
stage "boot and run $(grep -c . "$BUILD/tests-clients/list") client test(s)"
rc=0
"$TOP/scripts/boot.sh" "clients-$kind" "$img" "$BUILD/tests-clients/list" "$BUILD/tests-clients/bin" || rc=$?
grep -h '# figures' "$BUILD/logs/clients-$kind.tap" 2>/dev/null | sed 's/^/  /' || true
stage "done"
exit $rc
