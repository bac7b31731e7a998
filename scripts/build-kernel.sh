#!/usr/bin/env bash
# build-kernel.sh guest|debug|ref: configure and build a guest kernel.
#   guest: build/linux, configs/guest.config          -> build/bzImage
#   debug: build/linux, guest + debug overlay         -> build/bzImage-debug
#   ref:   the pristine base (upstream userfaultfd)   -> build/bzImage-ref
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_all
kind=${1:-guest}
frags=("$TOP/configs/guest.config" "$TOP/configs/series.config")
src=$TREE
case $kind in
guest) out=$BUILD/bzImage ;;
debug) out=$BUILD/bzImage-debug; frags+=("$TOP/configs/debug.config") ;;
ref)
	out=$BUILD/bzImage-ref
	src=$BUILD/linux-ref
	[ -d "$TREE/.git" ] || die "no build/linux: run 'make tree' first"
	if ! [ -e "$src/.git" ]; then
		git -C "$TREE" worktree add -f --detach "$src" pristine >/dev/null 2>&1 ||
			die "cannot create the reference worktree at $src"
	fi
	git -C "$src" checkout -q -f --detach pristine
	;;
*) die "unknown kernel kind '$kind'" ;;
esac
obj=$BUILD/obj/$kind
[ -d "$src" ] || die "no build/linux: run 'make tree' first"

"$TOP/scripts/kconfig.sh" "$src" "$obj" "${frags[@]}"

log=$obj/build.log
# A line every 30 s while it builds: the files compiled so far.
t0=$(date +%s)
( while sleep 30; do
	say "  building the $kind kernel: $(grep -c '^  CC ' "$log" 2>/dev/null || true) files compiled, $(($(date +%s) - t0))s"
  done ) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT
if ! kbuild -C "$src" O="$obj" -j"$(nproc)" bzImage >"$log" 2>&1; then
	grep -E 'error:|Error [0-9]|undefined reference' "$log" | head -n 5 >&2 || true
	die "kernel build ($kind) failed; full log: $log"
fi
grep -E '^[^ ]*: warning:|warning:' "$log" >"$obj/warnings.log" || true
cp "$obj/arch/x86/boot/bzImage" "$out"
say "built $out ($(grep -c . "$obj/warnings.log" || true) warnings, log $log)"
