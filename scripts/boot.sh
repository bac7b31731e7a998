#!/usr/bin/env bash
# boot.sh NAME KERNEL LIST [BINDIR...]: pack an initramfs with busybox, the
# guest /init, the test list and the binaries in BINDIRs, boot KERNEL in QEMU
# under a host-side timeout, and judge the run. Logs go to build/logs/NAME.*:
# NAME.result is the verdict as text, NAME.result.json the same as data
# (scripts/verdict.py reads it). Exit status 0 when the run passed.
# Environment: ACCEL=tcg|kvm (tcg), SMP (2), MEM (4G), ICOUNT=1 (deterministic
# one-vCPU mode), CPU_FEATURES (with ICOUNT=1: more -cpu max properties, such
# as erms=off,fsrm=off), EXTRA_APPEND (kernel command line), QEMU_PLUGIN (a
# TCG plugin and its arguments, passed to -plugin: make profile).

# A background job of a script (`nohup make check &`) starts with INT
# ignored, and bash cannot trap a signal ignored on entry: start again with
# INT and TERM at their defaults, so that Ctrl-C still stops QEMU.
if [ -z "${UFFD_BOOT_SIGRESET:-}" ] && [ -n "$(trap -p INT TERM)" ]; then
	exec env --default-signal=INT,TERM UFFD_BOOT_SIGRESET=1 bash "$0" "$@"
fi
unset UFFD_BOOT_SIGRESET
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=$1 kernel=$2 list=$3
shift 3
[ -f "$kernel" ] || die "no kernel image $kernel"
run_lock "boot-$name"
logs=$BUILD/logs
mkdir -p "$logs"
root=$BUILD/initramfs/$name
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,tests,etc}
cp "$(command -v busybox)" "$root/bin/busybox"
cp "$TOP/guest/init" "$root/init"
cp "$TOP/guest/splat.patterns" "$root/etc/splat.patterns"
chmod +x "$root/init"
cp "$list" "$root/tests/list"
for d in "$@"; do
	[ -d "$d" ] && cp -a "$d"/. "$root/tests/"
done
# Host programs the tests run (build-tests.sh's root/), at their own paths.
[ -d "$(dirname "$list")/root" ] && cp -a "$(dirname "$list")/root/." "$root/"
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nogroup:x:65534:" >>"$root/etc/group"
initrd=$BUILD/initramfs/$name.cpio.gz
# Byte-identical for the same files: fixed times and inode numbers.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort |
	cpio -o -H newc --quiet -R 0:0 --reproducible | gzip -1 -n >"$initrd")

# Host-side limit: every test's own limit plus time to boot and power off.
limit=$(verdict timeout "$list")
limit=$((limit + ${BOOT_ALLOWANCE:-300}))

accel=${ACCEL:-tcg}
smp=${SMP:-2}
qemu=(qemu-system-x86_64 -M pc -cpu max -m "${MEM:-4G}" -no-reboot
	-display none -vga none -monitor none -nodefaults
	-kernel "$kernel" -initrd "$initrd"
	-serial "file:$logs/$name.console" -serial "file:$logs/$name.tap")
[ "$accel" = kvm ] && [ "${ICOUNT:-0}" = 1 ] &&
	die "ICOUNT=1 (deterministic mode) needs TCG; it cannot go with ACCEL=kvm"
case $accel in
kvm) qemu+=(-accel kvm -cpu host) ;;
*)
	if [ "${ICOUNT:-0}" = 1 ]; then
		# The RTC too runs on instructions, from a fixed date, and no
		# RDRAND/RDSEED: neither the guest's clock nor its random
		# numbers can vary from boot to boot.
		smp=1
		qemu+=(-accel tcg -icount shift=0,sleep=off
			-rtc base=2015-09-04T00:00:00,clock=vm
			-cpu "max,rdrand=off,rdseed=off${CPU_FEATURES:+,$CPU_FEATURES}")
	else
		qemu+=(-accel tcg,thread=multi)
	fi
	;;
esac
# Nothing of an earlier boot may be judged as this one's: its files go, and
# the guest must print this boot's nonce in its TAP.
rm -rf "$logs/$name".{console,tap,result,result.json,qemu,status,tests}
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
[ -n "${QEMU_PLUGIN:-}" ] && qemu+=(-plugin "$QEMU_PLUGIN")
qemu+=(-smp "$smp" -append "console=ttyS0,115200 panic=-1 loglevel=7 hung_task_panic=0 softlockup_panic=0 uffd.nonce=$nonce ${EXTRA_APPEND:-}")

# Run QEMU in the background under the host-side limit, and watch the
# console meanwhile: once a kernel splat (guest/splat.patterns) shows up
# outside the TAP lines, the boot ends SPLAT_GRACE seconds later (time for
# the report to reach the console). `timeout` sits in a process group of
# its own, which a Ctrl-C does not reach: INT and TERM end it here, and it
# passes the signal on to QEMU.
tpid=
stop_qemu() {
	if [ -n "$tpid" ]; then
		kill -TERM "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
	fi
	tpid=
}
trap 'stop_qemu; say "boot $name: interrupted"; exit 130' INT
trap 'stop_qemu; exit 143' TERM
timeout -s KILL "$limit" "${qemu[@]}" </dev/null >"$logs/$name.qemu" 2>&1 &
tpid=$!
status=
while kill -0 "$tpid" 2>/dev/null; do
	sleep 1
	line=$(grep -a -v -E '^(#|ok |not ok )' "$logs/$name.console" 2>/dev/null |
		grep -a -m1 -E -f "$TOP/guest/splat.patterns" | tr -d '\r' | cut -c1-160) || true
	if [ -n "$line" ]; then
		sleep "${SPLAT_GRACE:-5}"
		kill -0 "$tpid" 2>/dev/null && status="the host ended the boot on a kernel splat: $line"
		stop_qemu
		break
	fi
done
rc=0
[ -n "$tpid" ] && { wait "$tpid" || rc=$?; }
tpid=
trap - INT TERM
if [ -n "$status" ]; then
	:
elif [ $rc -eq 137 ]; then
	status="timeout after ${limit}s"
elif [ $rc -ne 0 ]; then
	status="qemu exited with $rc: $(head -c 200 "$logs/$name.qemu" | tr '\n' ' ')"
fi
printf '%s' "$status" | head -n 1 >"$logs/$name.status"
python3 "$TOP/scripts/judge.py" --status "$logs/$name.status" --nonce "$nonce" \
	--logs "$logs/$name.tests" --json "$logs/$name.result.json" \
	"$logs/$name.console" "$logs/$name.tap" "$list" >"$logs/$name.result" || true
cat "$logs/$name.result"
say "console: $logs/$name.console"
verdict ok "$logs/$name.result.json"
