#!/usr/bin/env bash
# checkpatch.sh strict|errors PATCH: run the tree's checkpatch.pl.
#   strict: --strict, and any error, warning or check fails.
#   errors: only errors fail (the base preparation removes code wholesale).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mode=$1 patch=$2
patch=$(realpath "$patch")
# In the kernel tree, as its own users run it: the tree-aware checks apply,
# and its caches stay there.
out=$(cd "$TREE" && perl scripts/checkpatch.pl --strict --show-types --no-summary --terse \
	--ignore FILE_PATH_CHANGES "$patch" 2>&1) || true
# CamelCase: checkpatch knows the names the tree's headers define, so that
# only new ones are flagged, but misses those made by token pasting (the
# HPage flag helpers of hugetlb.h, say). A name the base tree already uses
# is existing kernel API, not one the patch brings in: not a finding.
known_camel() {
	git -C "$TREE" grep -qw -e "$1" base -- include mm fs 2>/dev/null
}
kept=
while IFS= read -r line; do
	if [[ $line =~ CAMELCASE:\ Avoid\ CamelCase:\ \<([A-Za-z0-9_]+)\> ]] &&
		known_camel "${BASH_REMATCH[1]}"; then
		continue
	fi
	kept+="$line"$'\n'
done <<<"$out"
out=$kept
case $mode in
strict) bad=$(grep -E ': (ERROR|WARNING|CHECK):' <<<"$out" || true) ;;
*) bad=$(grep -E ': ERROR:' <<<"$out" || true) ;;
esac
if [ -n "$bad" ]; then
	echo "$bad"
	echo "error: $(basename "$patch"): $(grep -c . <<<"$bad") checkpatch finding(s)"
	exit 1
fi
echo "$(basename "$patch"): clean ($mode)"
