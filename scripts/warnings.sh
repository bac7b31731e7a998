#!/usr/bin/env bash
# warnings.sh [KIND [REV]]: the compiler's W=1 warnings and sparse's warnings
# in the files the series touches fail, unless the same file already gives
# them at REV (base). KIND is the kernel configuration (debug: the one make
# check builds); its objects must be built (build-kernel.sh KIND).
#
# Every .c file that build/linux adds or modifies since REV and that KIND
# compiles is compiled again with W=1 (to a .s, so the kernel's objects stay
# as they are) and run through sparse (C=2); the warnings kept are the ones
# located in a file that build/linux adds or modifies (a header the series
# touches counts wherever it is included). The same files are compiled at REV
# in a worktree (build/linux-REV) with the same .config, and its warnings are
# subtracted, compared without line numbers (lib.sh new_lines). Errors count
# as warnings. REV's warnings are kept, for its commit, the configuration and
# this script, in build/obj/KIND-REV.
#
# Environment: WARN_SRC (the tree, build/linux) and WARN_OBJ (its objects,
# build/obj/KIND) for tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kind=${1:-debug} rev=${2:-base}
src=${WARN_SRC:-$TREE}
obj=${WARN_OBJ:-$BUILD/obj/$kind}
src=$(cd "$src" && pwd)
[ -f "$obj/.config" ] || die "no $obj/.config: build the $kind kernel first"
obj=$(cd "$obj" && pwd)
need sparse sparse
export GIT_OPTIONAL_LOCKS=0
git -C "$src" rev-parse -q --verify "$rev^{commit}" >/dev/null || die "no revision $rev in $src"

mapfile -t touched < <(git -C "$src" diff --no-renames --name-only --diff-filter=AM "$rev")
cfiles=()
for f in "${touched[@]}"; do
	case $f in *.c) [ -f "$obj/${f%.c}.o" ] && cfiles+=("$f") ;; esac
done
if [ ${#cfiles[@]} -eq 0 ]; then
	echo "warnings: no .c file that differs from $rev is compiled in $kind"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "${touched[@]}" >"$tmp/touched"

# warn SRC OBJ FILE...: the W=1 and sparse warnings of the FILEs, located in
# a touched file, one a line as "FILE:LINE:COL: warning: text", sorted, each
# once (a header's warning shows once for every file that includes it).
warn() {
	local s=$1 o=$2 f targets=() log
	shift 2
	log=$o/warnings.log
	for f in "$@"; do
		# Compiled again every time (through ccache, which keeps the
		# warnings), so each one is printed.
		rm -f "$o/${f%.c}.s"
		targets+=("${f%.c}.s")
	done
	if ! kbuild -C "$s" O="$o" -j"$(nproc)" W=1 "${targets[@]}" >"$log" 2>&1 ||
	   ! kbuild -C "$s" O="$o" -j"$(nproc)" C=2 CHECK=sparse "${@/%.c/.o}" >>"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -n 5 >&2
		die "building $s with W=1 or sparse failed (log $log)"
	fi
	# The compiler runs in the objects' folder and names sources
	# relative to it or absolute: each is named relative to the tree.
	python3 - "$s" "$o" "$tmp/touched" "$log" <<-'EOF' | LC_ALL=C sort -u
	import os, re, sys
	src, obj, touched, log = sys.argv[1:]
	keep = set(open(touched).read().split())
	pat = re.compile(r'^(\S+?):(\d+:(?:\d+:)? (?:warning|error): .*)$')
	for line in open(log, errors='replace'):
	    m = pat.match(line.rstrip('\n'))
	    if not m:
	        continue
	    path = os.path.normpath(os.path.join(obj, m.group(1)))
	    name = os.path.relpath(path, src)
	    if name in keep:
	        print(name + ':' + m.group(2))
	EOF
}

warn "$src" "$obj" "${cfiles[@]}" >"$tmp/now"

# REV's side: its worktree and objects, configured as KIND.
bsrc=$BUILD/linux-$rev bobj=$obj-$rev
if ! [ -e "$bsrc/.git" ]; then
	git -C "$src" worktree add -f --detach "$bsrc" "$rev" >/dev/null 2>&1 ||
		die "cannot create the worktree $bsrc at $rev"
fi
git -C "$bsrc" checkout -q -f --detach "$rev"
mkdir -p "$bobj"
bfiles=()
for f in "${cfiles[@]}"; do
	git -C "$src" cat-file -e "$rev:$f" 2>/dev/null && bfiles+=("$f")
done
key=$( { git -C "$src" rev-parse "$rev^{commit}"; cat "$obj/.config"; printf '%s\n' "${bfiles[@]}"
	cat "$TOP/scripts/warnings.sh"
	sparse --version 2>&1; gcc --version | head -n1; } | sha256sum | cut -c1-16)
was=$bobj/warnings-$key.txt
if ! [ -f "$was" ]; then
	: >"$tmp/was"
	if [ ${#bfiles[@]} -gt 0 ]; then
		cp "$obj/.config" "$bobj/.config"
		kbuild -C "$bsrc" O="$bobj" olddefconfig >"$bobj/olddefconfig.log" 2>&1 ||
			die "olddefconfig at $rev failed (log $bobj/olddefconfig.log)"
		warn "$bsrc" "$bobj" "${bfiles[@]}" >"$tmp/was"
	fi
	rm -f "$bobj"/warnings-*.txt
	cp "$tmp/was" "$was"
fi

new_lines "$was" "$tmp/now" >"$tmp/new"
n=$(grep -c . "$tmp/new" || true)
old=$(($(grep -c . "$tmp/now" || true) - n))
note=
[ "$old" -eq 0 ] || note=" ($old that the same files already give at $rev not counted)"
if [ "$n" -gt 0 ]; then
	cat "$tmp/new"
	echo "error: W=1/sparse: $n new warning(s) in the files the series touches$note; first: $(head -n1 "$tmp/new")"
	exit 1
fi
echo "W=1/sparse: ${#cfiles[@]} compiled file(s) of the series clean$note"
