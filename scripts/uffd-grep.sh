#!/usr/bin/env bash
# The base (tag "base") must hold nothing that belongs to userfaultfd: no
# "userfault", and no "uffd" that starts a word or follows an underscore.
# i915's "userfault" is its own term; base/uffd-grep.allow lists the few
# other lines that match by chance.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
allow=$TOP/base/uffd-grep.allow
hits=$(git -C "$TREE" grep -iE 'userfault|(^|[^a-z])uffd' base -- . ':!drivers/gpu/drm/i915' |
	sed 's/^base://' | grep -vxF -f <(grep -v '^#' "$allow") || true)
if [ -n "$hits" ]; then
	echo "$hits" | head -n 20
	echo "error: $(grep -c . <<<"$hits") lines at tag base mention userfaultfd"
	exit 1
fi
echo "base: no userfaultfd"
