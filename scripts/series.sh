#!/usr/bin/env bash
# The tree <-> patches round trip.
#   series.sh tree [FORCE=1 in env]  build/linux from base + base/prep + patches
#   series.sh export                 write base/prep/ and patches/ from the tree
#   series.sh check                  fail if an export would change any file
#   series.sh ensure                 as tree, but keep a tree with unexported work
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PREP=$TOP/base/prep
PATCHES=$TOP/patches
STAMP=$TREE/.git/uffd-export-stamp
mkdir -p "$PREP" "$PATCHES"
BRANCH=series

# Write the export of the tree into $1/prep and $1/patches.
export_into() {
	local out=$1 n
	mkdir -p "$out/prep" "$out/patches"
	local fp=(format-patch --zero-commit --no-signature --abbrev=12
		--no-base --stat=80 --quiet)
	git -C "$TREE" -c core.abbrev=12 -c diff.renames=true \
		"${fp[@]}" -o "$out/prep" pristine..base >/dev/null
	n=$(git -C "$TREE" rev-list --count base..HEAD)
	if [ "$n" -gt 0 ]; then
		git -C "$TREE" -c core.abbrev=12 -c diff.renames=true \
			"${fp[@]}" --cover-letter --cover-from-description=subject \
			-o "$out/patches" base..HEAD >/dev/null
	fi
}

# A digest of the patch files in dirs $1 (prep) and $2 (patches).
digest() {
	(cd "$1" && find . -name '*.patch' -type f | sort | xargs -r sha256sum) | sha256sum | cut -c1-16
	(cd "$2" && find . -name '*.patch' -type f | sort | xargs -r sha256sum) | sha256sum | cut -c1-16
}

tree_export_digest() {
	local tmp
	tmp=$(mktemp -d)
	export_into "$tmp"
	digest "$tmp/prep" "$tmp/patches"
	rm -rf "$tmp"
}

tree_dirty() {
	[ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]
}

# Read the cover letter's subject and body into the branch description.
load_cover_letter() {
	local cover
	cover=$(find "$PATCHES" -maxdepth 1 -name '0000-cover-letter.patch' | head -n1)
	[ -n "$cover" ] || return 0
	python3 - "$cover" <<'PY' | git -C "$TREE" config --file .git/config "branch.$BRANCH.description" "$(cat)"
import re, sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
i, subject = 0, ''
while lines[i] != '':
    m = re.match(r'Subject: \[PATCH[^\]]*\] ?(.*)', lines[i])
    if m:
        subject = m.group(1)
        while lines[i + 1].startswith(' '):
            i += 1
            subject += lines[i]
    i += 1
body = lines[i + 1:]
# The description ends where git's shortlog begins: "Name (N):".
end = len(body)
for j, l in enumerate(body):
    if re.match(r'^\S.* \(\d+\):$', l):
        end = j
        break
body = '\n'.join(body[:end]).rstrip('\n')
sys.stdout.write(subject + ('\n\n' + body if body else '') + '\n')
PY
}

# A patch did not apply: leave the tree at the last one that did, marked as
# holding nothing of the user's, so a fixed patch can be applied again.
am_failed() {
	git -C "$TREE" am --abort >/dev/null 2>&1 || true
	git -C "$TREE" rev-parse -q --verify base >/dev/null || git -C "$TREE" tag base
	tree_export_digest >"$STAMP"
	die "$1 (see $BUILD/am.log)"
}

apply_series() {
	local p
	git -C "$TREE" checkout -q -f -B "$BRANCH" pristine
	git -C "$TREE" tag -d base >/dev/null 2>&1 || true
	for p in "$PREP"/*.patch; do
		[ -e "$p" ] || continue
		git -C "$TREE" am -q --keep-cr "$p" >/dev/null 2>"$BUILD/am.log" ||
			am_failed "base/prep/$(basename "$p") does not apply to the pinned base"
	done
	git -C "$TREE" tag -f base >/dev/null
	for p in "$PATCHES"/*.patch; do
		[ -e "$p" ] || continue
		case $(basename "$p") in 0000-cover-letter.patch) continue ;; esac
		git -C "$TREE" am -q --keep-cr "$p" >/dev/null 2>"$BUILD/am.log" ||
			am_failed "patches/$(basename "$p") does not apply on base"
	done
	load_cover_letter
	digest "$PREP" "$PATCHES" >"$STAMP"
}

cmd_tree() {
	local tarball want now
	mkdir -p "$BUILD"
	if [ -d "$TREE/.git" ] && git -C "$TREE" rev-parse -q --verify pristine >/dev/null; then
		if [ "${FORCE:-0}" != 1 ]; then
			tree_dirty && die "build/linux has uncommitted edits: commit them and run 'make export', or discard them with 'make tree FORCE=1'"
			want=$(digest "$PREP" "$PATCHES")
			now=$(tree_export_digest)
			if [ "$now" = "$want" ]; then
				say "build/linux is up to date with base/prep/ and patches/"
				digest "$PREP" "$PATCHES" >"$STAMP"
				return 0
			fi
			if ! [ -f "$STAMP" ] || [ "$now" != "$(cat "$STAMP")" ]; then
				die "build/linux holds commits that are not exported: run 'make export' to keep them, or 'make tree FORCE=1' to discard them"
			fi
		fi
		say "re-applying base/prep/ and patches/ in build/linux"
		git -C "$TREE" am --abort >/dev/null 2>&1 || true
		apply_series
		return 0
	fi
	[ -e "$TREE" ] && die "$TREE exists but is not a harness tree; move it away"
	tarball=$("$TOP/scripts/fetch-base.sh")
	VERSION=${tarball##*/"$TARBALL".}
	say "extracting the base into build/linux"
	rm -rf "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -xJf "$tarball" -C "$TREE.tmp" --strip-components=1
	(
		cd "$TREE.tmp"
		git init -q
		git config core.abbrev 12
		git config user.name "$GIT_COMMITTER_NAME"
		git config user.email "$GIT_COMMITTER_EMAIL"
		git config am.threeWay false
		git add -A -f .
		GIT_AUTHOR_NAME="$GIT_COMMITTER_NAME" GIT_AUTHOR_EMAIL="$GIT_COMMITTER_EMAIL" \
		GIT_AUTHOR_DATE="$GIT_COMMITTER_DATE" \
			git commit -q -m "Linux $VERSION ($PACKAGE, Debian)"
		git tag pristine
	)
	mv "$TREE.tmp" "$TREE"
	apply_series
	say "build/linux: pristine, base and $(git -C "$TREE" rev-list --count base..HEAD) series commits"
}

# For make run/kernel/check: make the tree if there is none, re-apply after
# a pull, and otherwise build what the developer has, edits and all.
cmd_ensure() {
	local now
	if [ -d "$TREE/.git" ] && git -C "$TREE" rev-parse -q --verify pristine >/dev/null; then
		if tree_dirty; then
			say "build/linux has uncommitted edits: building them as they are"
			return 0
		fi
		now=$(tree_export_digest)
		if [ "$now" != "$(digest "$PREP" "$PATCHES")" ] && { ! [ -f "$STAMP" ] || [ "$now" != "$(cat "$STAMP")" ]; }; then
			say "build/linux has commits not exported yet: building them as they are"
			return 0
		fi
	fi
	cmd_tree
}

cmd_export() {
	local tmp
	[ -d "$TREE/.git" ] || die "no build/linux: run 'make tree' first"
	tree_dirty && say "warning: build/linux has uncommitted edits; they are not exported"
	tmp=$(mktemp -d)
	export_into "$tmp"
	rm -f "$PREP"/*.patch "$PATCHES"/*.patch
	mkdir -p "$PREP" "$PATCHES"
	cp "$tmp"/prep/*.patch "$PREP"/ 2>/dev/null || true
	cp "$tmp"/patches/*.patch "$PATCHES"/ 2>/dev/null || true
	rm -rf "$tmp"
	digest "$PREP" "$PATCHES" >"$STAMP"
	say "exported $(ls "$PREP" | grep -c '\.patch$' || true) prep and $(ls "$PATCHES" | grep -c '\.patch$' || true) series files"
}

cmd_check() {
	local tmp rc=0
	[ -d "$TREE/.git" ] || die "no build/linux: run 'make tree' first"
	tmp=$(mktemp -d)
	export_into "$tmp"
	mkdir -p "$tmp/e-prep" "$tmp/e-patches"
	cp "$PREP"/*.patch "$tmp/e-prep/" 2>/dev/null || true
	cp "$PATCHES"/*.patch "$tmp/e-patches/" 2>/dev/null || true
	diff -rq "$tmp/e-prep" "$tmp/prep" >"$tmp/d" 2>&1 || rc=1
	diff -rq "$tmp/e-patches" "$tmp/patches" >>"$tmp/d" 2>&1 || rc=1
	if tree_dirty; then
		echo "build/linux has uncommitted edits" >>"$tmp/d"
		rc=1
	fi
	if [ $rc -ne 0 ]; then
		sed "s|$tmp/e-|project |; s|$tmp/|tree |" "$tmp/d" >&2
		rm -rf "$tmp"
		die "export-check: base/prep/ or patches/ differ from build/linux; run 'make export' (or 'make tree' after a pull)"
	fi
	rm -rf "$tmp"
	say "export-check: base/prep/ and patches/ match build/linux"
}

case ${1:-} in
tree) cmd_tree ;;
ensure) cmd_ensure ;;
export) cmd_export ;;
check) cmd_check ;;
*) die "usage: series.sh tree|export|check" ;;
esac
