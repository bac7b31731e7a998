#!/usr/bin/env bash
# The series must wire userfaultfd(2) up wherever the pristine base has it:
# every line that names it in a system call table (*.tbl, unistd*.h, the
# perf tool's copies) and in kernel/sys_ni.c, at tag pristine and at the
# head of the series, the same. base/prep takes them all out; the arch
# wiring patch must put every one back, and leave the tables as they are at
# pristine, with no "# N is unused" line left where the slot was.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lines() {
	git -C "$TREE" grep -e userfaultfd "$1" -- '*.tbl' '*unistd*.h' kernel/sys_ni.c |
		sed "s/^$1://" | sort
}
want=$(lines pristine)
have=$(lines series)
[ -n "$want" ] || die "no userfaultfd system call at tag pristine"
if [ "$want" != "$have" ]; then
	diff <(echo "$want") <(echo "$have") | head -n 20
	echo "error: the series' system call tables differ from pristine's"
	exit 1
fi
if ! git -C "$TREE" diff --quiet pristine series -- '*.tbl' '*unistd*.h'; then
	git -C "$TREE" diff pristine series -- '*.tbl' '*unistd*.h' | head -n 20
	echo "error: the series' system call tables differ from pristine's"
	exit 1
fi
echo "userfaultfd(2) wired up as at pristine: $(grep -c . <<<"$want") table lines, $(cut -d: -f1 <<<"$want" | sort -u | grep -c .) files"
