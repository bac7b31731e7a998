#!/usr/bin/env bash
# make bisect-check: every commit of the series (base..series in build/linux)
# on its own, so that the series bisects:
#   - the guest kernel (configs/guest.config + configs/series.config) builds,
#     with no compiler warning in a file the commit touches;
#   - scripts/checkpatch.pl --strict finds nothing in the commit;
#   - kernel-doc finds nothing new in the .c and .h files under fs/, mm/,
#     include/ and kernel/ that the commit adds or modifies (kernel-doc.sh).
# One line per commit, "ok <abbrev> <subject>" or
# "FAIL <abbrev> <subject>: <reason>", then a summary; exit status non-zero
# if any commit failed.
#
# The commits are checked out one after the other in a worktree of their
# own, build/bisect/linux (build/linux's checkout is never touched), and
# built there incrementally, never cleaned, in build/bisect/obj/guest, one
# kernel build at a time (build/.kbuild.lock) and with ccache. That layout
# mirrors build/linux and build/obj/guest, so ccache shares objects with
# `make kernel`.
# Knobs: BISECT_BUILD=0 leaves out the builds; BISECT_FROM=COMMIT checks
# only the commits after COMMIT; KDOC_STRICT=1 (kernel-doc.sh).
# Logs: build/logs/bisect/ABBREV.{patch,checkpatch,kernel-doc,config,build}.log,
# the verdicts in build/logs/bisect.results.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Read build/linux without refreshing its index: the developer works there.
export GIT_OPTIONAL_LOCKS=0
[ -d "$TREE/.git" ] || die "no build/linux: run 'make tree' first"
git -C "$TREE" rev-parse -q --verify 'base^{commit}' >/dev/null || die "build/linux has no tag base"
git -C "$TREE" rev-parse -q --verify 'series^{commit}' >/dev/null || die "build/linux has no branch series"
mkdir -p "$BUILD/logs"
results=$BUILD/logs/bisect.results
# BISECT_FROM=COMMIT: only the series commits after COMMIT (the ones a
# session changed), for a check that fits beside other work.
mapfile -t commits < <(git -C "$TREE" rev-list --reverse "${BISECT_FROM:-base}"..series)
if [ ${#commits[@]} -eq 0 ]; then
	echo "no series commits" | tee "$results"
	exit 0
fi

build=${BISECT_BUILD:-1}
need_all
wt=$BUILD/bisect/linux
obj=$BUILD/bisect/obj/guest
ldir=$BUILD/logs/bisect
mkdir -p "$ldir" "$BUILD/bisect"
if ! [ -e "$wt/.git" ]; then
	git -C "$TREE" worktree add -f --detach "$wt" "${commits[0]}" >"$ldir/worktree.log" 2>&1 ||
		die "cannot create the worktree $wt (see $ldir/worktree.log)"
fi
[ "$(cd "$(git -C "$wt" rev-parse --git-common-dir)" && pwd -P)" = "$(cd "$TREE/.git" && pwd -P)" ] ||
	die "$wt is not a worktree of build/linux; move it away"

# As scripts/build-kernel.sh builds.
cc=gcc
command -v ccache >/dev/null 2>&1 && cc="ccache gcc"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_BASEDIR=$TOP KBUILD_BUILD_TIMESTAMP="2015-09-04" KBUILD_BUILD_USER=uffd KBUILD_BUILD_HOST=harness

# The last line of FILE that matches ERE, without the worktree's path, short.
reason_from() {
	{ grep -E "$2" "$1" || true; } | tail -n1 | sed "s|$wt/||g; s/^error: //" | cut -c1-160
}

# The compiler warnings of build log $1 in the files listed in $2.
touched_warnings() {
	local line f
	grep -E ': warning: ' "$1" | while IFS= read -r line; do
		f=${line%%: warning: *}
		f=${f%%:*}
		f=${f#"$wt"/}
		f=${f#./}
		case $f in *.o) f=${f%.o}.c ;; esac
		if grep -qxF "$f" "$2"; then
			echo "${line//"$wt"\//}"
		fi
	done || true
}

: >"$results"
nok=0 nfail=0
for c in "${commits[@]}"; do
	abbrev=$(git -C "$TREE" rev-parse --short=12 "$c")
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	log=$ldir/$abbrev
	rm -f "$log".*.log "$log.files"
	reasons=()
	if ! git -C "$wt" checkout -q -f --detach "$c" >"$log.checkout.log" 2>&1; then
		reasons+=("checkout failed: $(head -n1 "$log.checkout.log")")
	else
		git -C "$TREE" diff-tree --no-commit-id --no-renames -r --name-only "$c^" "$c" >"$log.files"
		# checkpatch, as make check runs it on the exported patches.
		git -C "$TREE" -c core.abbrev=12 format-patch -1 --stdout --no-signature "$c" >"$log.patch.log"
		if ! "$TOP/scripts/checkpatch.sh" strict "$log.patch.log" >"$log.checkpatch.log" 2>&1; then
			n=$(grep -cE ': (ERROR|WARNING|CHECK):' "$log.checkpatch.log" || true)
			first=$(grep -m1 -E ': (ERROR|WARNING|CHECK):' "$log.checkpatch.log" | sed 's/^[^:]*:[0-9]*: //' | cut -c1-100 || true)
			reasons+=("checkpatch: $n finding(s)${first:+, first: $first}")
		fi
		if ! "$TOP/scripts/kernel-doc.sh" "$wt" "$c^" >"$log.kernel-doc.log" 2>&1; then
			reasons+=("$(reason_from "$log.kernel-doc.log" '^error:')")
		fi
		if [ "$build" != 0 ]; then
			say "[$(date +%T)] $abbrev: building"
			if ! "$TOP/scripts/kconfig.sh" "$wt" "$obj" "$TOP/configs/guest.config" \
				"$TOP/configs/series.config" >"$log.config.log" 2>&1; then
				reasons+=("config: $(reason_from "$log.config.log" '^error:')")
			elif ! flock "$BUILD/.kbuild.lock" make -C "$wt" O="$obj" ARCH=x86 CC="$cc" \
				-j"$(nproc)" bzImage >"$log.build.log" 2>&1; then
				first=$(grep -m1 -E 'error:|Error [0-9]|undefined reference' "$log.build.log" | sed "s|$wt/||g" | cut -c1-160 || true)
				reasons+=("build failed: ${first:-see $log.build.log}")
			fi
			if [ -f "$log.build.log" ]; then
				touched_warnings "$log.build.log" "$log.files" >"$log.warnings.log"
				if [ -s "$log.warnings.log" ]; then
					n=$(grep -c . "$log.warnings.log" || true)
					reasons+=("$n compiler warning(s) in files it touches, first: $(head -n1 "$log.warnings.log" | cut -c1-140)")
				fi
			fi
		fi
	fi
	if [ ${#reasons[@]} -eq 0 ]; then
		line="ok $abbrev $subject"
		nok=$((nok + 1))
	else
		r=$(printf '%s; ' "${reasons[@]}")
		line="FAIL $abbrev $subject: ${r%; }"
		nfail=$((nfail + 1))
	fi
	echo "$line" | tee -a "$results"
done
what="checkpatch, kernel-doc"
[ "$build" = 0 ] || what="build, $what"
echo "bisect-check ($what): ${#commits[@]} commits, $nok ok, $nfail failed (logs in $ldir)" | tee -a "$results"
[ "$nfail" -eq 0 ]
