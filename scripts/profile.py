#!/usr/bin/env python3
"""Per-function guest instruction counts of `make profile`.

    profile.py [--top N] --per N LABEL=VMLINUX_SYMS:BIG_COUNTS:SMALL_COUNTS ...

Each COUNTS file is what bench/tbcount.c wrote for one boot ("ADDRESS
COUNT" lines); VMLINUX_SYMS is `nm -n vmlinux` of the kernel booted.  For
each LABEL the counts of the SMALL boot are taken from those of the BIG
one, function by function, and divided by --per (the operations the BIG
boot did more): what one operation costs, with boot and set-up gone.  User
space counts as one function, "[user]".  The first LABEL is the baseline;
the table lists the functions whose cost differs most from it first.
"""
import argparse
import bisect
import collections
import sys

USER_TOP = 0xffff800000000000


def load_syms(path):
    addrs, names = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1] not in "tTwW":
                continue
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def load_counts(path, syms):
    addrs, names = syms
    per_func = collections.Counter()
    with open(path) as f:
        for line in f:
            addr, count = line.split()
            addr, count = int(addr, 16), int(count)
            if addr < USER_TOP:
                per_func["[user]"] += count
                continue
            i = bisect.bisect_right(addrs, addr) - 1
            per_func[names[i] if i >= 0 else "[unknown]"] += count
    return per_func


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per", type=float, required=True)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("runs", nargs="+")
    args = ap.parse_args()

    labels, costs = [], []
    for run in args.runs:
        label, files = run.split("=", 1)
        symf, big, small = files.split(":")
        syms = load_syms(symf)
        b, s = load_counts(big, syms), load_counts(small, syms)
        labels.append(label)
        costs.append({k: (b[k] - s[k]) / args.per for k in set(b) | set(s)})

    base = costs[0]
    funcs = set().union(*costs)
    spread = {k: max(abs(c.get(k, 0) - base.get(k, 0)) for c in costs)
              for k in funcs}
    order = sorted(funcs, key=lambda k: (-spread[k], k))
    width = max([len(k) for k in order[:args.top]] + [8])
    head = "%-*s" % (width, "function") + "".join("%10s" % l for l in labels)
    head += "".join("%10s" % (l + "-" + labels[0]) for l in labels[1:])
    print(head)
    total = [sum(c.values()) for c in costs]
    print("%-*s" % (width, "TOTAL") + "".join("%10.1f" % t for t in total) +
          "".join("%+10.1f" % (t - total[0]) for t in total[1:]))
    for k in order[:args.top]:
        vals = [c.get(k, 0) for c in costs]
        if max(abs(v) for v in vals) < 0.05:
            continue
        print("%-*s" % (width, k) + "".join("%10.1f" % v for v in vals) +
              "".join("%+10.1f" % (v - vals[0]) for v in vals[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
