#!/usr/bin/env bash
# make profile: where the guest instructions of one benchmark go, kernel
# function by kernel function, on the reference kernel (pristine 6.1,
# upstream userfaultfd) and on ours.
#
# Each kernel boots twice in the deterministic mode of make bench (TCG
# -icount, one vCPU, "norandmaps"), with a QEMU plugin (bench/tbcount.c)
# that counts the instructions run from each translation block's address:
# once running `uffd-bench PROFILE_CMD` with {} replaced by PROFILE_N, once
# with {} replaced by PROFILE_N/2. The second boot's counts, taken from the
# first's function by function (symbols of the kernel's vmlinux), leave
# what PROFILE_N - PROFILE_N/2 more operations cost: divided by that, the
# cost of one operation, with boot and set-up gone. The report,
# build/profile/report.txt, lists the functions whose cost differs most
# between the kernels first; user space counts as one function, "[user]".
#
# PROFILE_CMD (roundtrip copy read {}: one 4 KiB read fault resolved by
# UFFDIO_COPY), PROFILE_N (32768; the round trip counts whole passes of 4096
# faults, so keep it a multiple of 8192), PROFILE_TOP (40 lines),
# PROFILE_NO_BUILD=1 (the kernel images as they are). QEMU needs plugin
# support (Debian's has it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
run_lock profile

cmd=${PROFILE_CMD:-roundtrip copy read \{\}}
n=${PROFILE_N:-32768}
half=$((n / 2))
out=$BUILD/profile
case $cmd in *"{}"*) ;; *) die "PROFILE_CMD has no {} for the operation count: $cmd" ;; esac
[ "$n" -ge 2 ] || die "PROFILE_N must be at least 2, not $n"

if [ "${PROFILE_NO_BUILD:-0}" != 1 ]; then
	stage "reference kernel (pristine 6.1)"
	"$TOP/scripts/build-kernel.sh" ref
	stage "our kernel"
	"$TOP/scripts/build-kernel.sh" guest
fi
declare -A img=([ref]=$BUILD/bzImage-ref [ours]=$BUILD/bzImage)
declare -A vmlinux=([ref]=$BUILD/obj/ref/vmlinux [ours]=$BUILD/obj/guest/vmlinux)
for k in ref ours; do
	[ -f "${img[$k]}" ] && [ -f "${vmlinux[$k]}" ] ||
		die "no ${img[$k]} or ${vmlinux[$k]}: build the kernels first"
done

stage "plugin and benchmark program"
rm -rf "$out"
mkdir -p "$out"
gcc -O2 -Wall -shared -fPIC -o "$out/tbcount.so" "$TOP/bench/tbcount.c"
"$TOP/scripts/build-tests.sh" "$out/progs" bench >/dev/null
[ -x "$out/progs/bin/uffd-bench" ] || die "uffd-bench was not built"

export EXTRA_APPEND="${EXTRA_APPEND:-} norandmaps"
for k in ref ours; do
	nm -n "${vmlinux[$k]}" >"$out/$k.syms"
	for count in "$n" "$half"; do
		name=profile-$k-$count
		stage "$k: uffd-bench ${cmd//\{\}/$count}"
		printf 'profile/run\t900\tuffd-bench %s\n' "${cmd//\{\}/$count}" >"$out/$name.list"
		QEMU_PLUGIN="$out/tbcount.so,out=$out/$name.counts" ICOUNT=1 \
			"$TOP/scripts/boot.sh" "$name" "${img[$k]}" "$out/$name.list" \
			"$out/progs/bin" >/dev/null ||
			die "the $name boot failed: see $BUILD/logs/$name.result"
		[ -s "$out/$name.counts" ] ||
			die "no counts from the plugin: does this QEMU load plugins? ($BUILD/logs/$name.qemu)"
	done
done

stage "report"
{
	echo "# make profile: uffd-bench $cmd, guest instructions per operation"
	echo "# ($n and $half operations, the difference divided by $((n - half)))"
	python3 "$TOP/scripts/profile.py" --per "$((n - half))" --top "${PROFILE_TOP:-40}" \
		"ref=$out/ref.syms:$out/profile-ref-$n.counts:$out/profile-ref-$half.counts" \
		"ours=$out/ours.syms:$out/profile-ours-$n.counts:$out/profile-ours-$half.counts"
} >"$out/report.txt"
cat "$out/report.txt"
