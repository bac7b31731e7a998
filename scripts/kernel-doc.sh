#!/usr/bin/env bash
# kernel-doc.sh SRC REV: run SRC's scripts/kernel-doc -none -Wall over every
# .c and .h file under fs/, mm/, include/ and kernel/ that SRC's checkout
# adds or modifies relative to REV. make check runs it on build/linux against
# base (the series and any edits not committed yet), make bisect-check on its
# worktree at each commit against the commit's parent.
#
# Any warning fails, except one the same file already gives at REV: the base
# has kernel-doc warnings of its own in files the series must touch
# (kernel/fork.c, mm/memory.c, include/linux/mm.h, ...). Warnings are matched
# by their text without the line number. KDOC_STRICT=1 counts every line of
# output, the base's included.
#
# The kernel-doc of 6.1 has no -Wall: there -v turns on the same extra checks
# (return value, short description, contents before sections), and its
# "info:" lines and warning counts are dropped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: kernel-doc.sh SRC REV"
src=$(cd "$1" && pwd) rev=$2
# Read the repository without refreshing its index: it may be in use.
export GIT_OPTIONAL_LOCKS=0
kd=$src/scripts/kernel-doc
[ -f "$kd" ] || die "no $kd"
git -C "$src" rev-parse -q --verify "$rev^{commit}" >/dev/null || die "no revision $rev in $src"

mapfile -t files < <(git -C "$src" diff --no-renames --name-only --diff-filter=AM "$rev" -- \
	fs mm include kernel | grep -E '\.[ch]$' || true)
if [ ${#files[@]} -eq 0 ]; then
	echo "kernel-doc: no .c or .h file under fs/ mm/ include/ kernel/ differs from $rev"
	exit 0
fi

if "$kd" -none -Wall /dev/null >/dev/null 2>&1; then
	flags=(-none -Wall)
else
	flags=(-none -v)
fi
# kdoc DIR FILE: the warnings for DIR/FILE, named FILE.
kdoc() {
	(cd "$1" && "$kd" "${flags[@]}" "$2" 2>&1) |
		grep -vE ': info: |^[0-9]+ (warnings|errors)( as Errors)?$' || true
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
new=0 old=0 nfiles=0 first=
for f in "${files[@]}"; do
	kdoc "$src" "$f" >"$tmp/now"
	: >"$tmp/was"
	if [ "${KDOC_STRICT:-0}" != 1 ] && git -C "$src" cat-file -e "$rev:$f" 2>/dev/null; then
		mkdir -p "$tmp/rev/$(dirname "$f")"
		git -C "$src" show "$rev:$f" >"$tmp/rev/$f"
		kdoc "$tmp/rev" "$f" >"$tmp/was"
	fi
	new_lines "$tmp/was" "$tmp/now" >"$tmp/new"
	old=$((old + $(grep -c . "$tmp/now" || true) - $(grep -c . "$tmp/new" || true)))
	if [ -s "$tmp/new" ]; then
		cat "$tmp/new"
		new=$((new + $(grep -c . "$tmp/new")))
		nfiles=$((nfiles + 1))
		[ -n "$first" ] || first=$(head -n1 "$tmp/new")
	fi
done
note=
[ "$old" -eq 0 ] || note=" ($old warning(s) that the files already have at $rev not counted)"
if [ "$new" -gt 0 ]; then
	echo "error: kernel-doc: $new warning line(s) in $nfiles of ${#files[@]} file(s)$note; first: $first"
	exit 1
fi
echo "kernel-doc: ${#files[@]} file(s) clean$note"
