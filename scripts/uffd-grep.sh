#!/usr/bin/env bash
# The base (tag "base") must hold nothing that belongs to userfaultfd. The
# i915 driver's "userfault" is its own, unrelated term.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hits=$(git -C "$TREE" grep -niE 'userfault|uffd' base -- . ':!drivers/gpu/drm/i915' || true)
if [ -n "$hits" ]; then
	echo "$hits" | head -n 20
	echo "error: $(grep -c . <<<"$hits") lines at tag base mention userfaultfd"
	exit 1
fi
echo "base: no userfaultfd"
