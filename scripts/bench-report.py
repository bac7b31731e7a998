#!/usr/bin/env python3
"""Write the report of `make bench` from the guests' TAP logs.

bench-report.py --out DIR [--ref-image F --ours-image F --ref-tree D
                           --ours-tree D --ref-config F --ours-config F]

DIR/raw/MODE-KERNEL-RUN.tap are the TAP logs of the boots (MODE det,
det-noerms or wall, KERNEL ref or ours, RUN 1, 2, ...). The benchmark programs print their
figures as "BENCH metric value unit" and their latency histograms as
"HIST name bucket_ns count"; the guest's /init prefixes both with "# ".

Writes DIR/report.md, DIR/report.json, DIR/plot.gp (gnuplot, run in DIR)
and its data files DIR/plot/*.dat. When DIR/previous.json (the last
report.json) ran the same kernel images, the report gives how far the
deterministic figures moved. Exit status 1 when a metric has no ratio or a
benchmark failed.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys

import verdict

BENCH = re.compile(r'^# BENCH (\S+) (\S+) (\S+)\s*$')
HIST = re.compile(r'^# HIST (\S+) (\d+) (\d+)\s*$')
INFO = re.compile(r'^# INFO (\S+) faults (\d+)\s*$')
CPUFLAGS = re.compile(r'^# cpu copy flags:(.*)$')
KERNELS = ('ref', 'ours')
LABEL = {'ref': 'upstream', 'ours': 'ours'}
DET_NOTE = ('TCG `-icount shift=0,sleep=off`, 1 vCPU, 4 GiB. Guest '
            'CLOCK_MONOTONIC counts instructions (1 ns = 1 guest '
            'instruction), so these figures are **guest instruction counts** '
            '(path length), not times. One iteration of `rep movs`/`rep stos` '
            'counts as one instruction: ')
MODES = {
    'det': ('Deterministic mode, `-cpu max`',
            DET_NOTE + 'with `-cpu max`\'s ERMS and FSRM the kernel copies '
            'and clears pages with `rep movsb`/`rep stosb`, so a 4 KiB page '
            'copy or clear weighs about 4096 and the write-fault and fill '
            'metrics over-weight page copies and clears.'),
    'det-noerms': ('Deterministic mode, `-cpu max,erms=off,fsrm=off`',
                   DET_NOTE + 'without ERMS and FSRM the kernel copies and '
                   'clears pages with `rep movsq`/`rep stosq` (REP_GOOD), '
                   'about 512 per 4 KiB page: page copies and clears weigh '
                   'eight times less than in the mode above, the rest of '
                   'the path the same.'),
    'wall': ('Wall-clock mode',
             'multi-threaded TCG (`-accel tcg,thread=multi`), 2 vCPUs, '
             '4 GiB; the kernels alternate in ABBA order (upstream, ours, '
             'ours, upstream, ...); median over the rounds, [min, max] '
             'beside it.'),
}
WORSE = 0.05            # an anomaly: ours more than 5% worse
AGREE = 0.005           # deterministic figures must repeat within 0.5%
PLOTS = ('roundtrip.copy.read', 'roundtrip.copy.poll',
         'roundtrip.zero.read', 'roundtrip.zero.poll')
FLOOR = 'floor.fault.read'
FLOOR_WRITE = 'floor.fault.write'


def parse_tap(path):
    """Return ({metric: (value, unit)}, {hist: [(bucket, count)]}, fails,
    the guest's cpu copy flags).

    A time-capped run's fault count goes in as metrics['faults:' + name].
    """
    metrics, hists, fails, cpu = {}, {}, [], None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = BENCH.match(line)
            if m:
                try:
                    metrics[m.group(1)] = (float(m.group(2)), m.group(3))
                except ValueError:
                    pass
                continue
            m = INFO.match(line)
            if m:
                metrics['faults:' + m.group(1)] = (int(m.group(2)), None)
                continue
            m = HIST.match(line)
            if m:
                hists.setdefault(m.group(1), []).append(
                    (int(m.group(2)), int(m.group(3))))
                continue
            m = CPUFLAGS.match(line)
            if m:
                cpu = m.group(1).split()
                continue
            res = verdict.tap_result(line)
            if res and not res[0]:
                fails.append(res[2] + (' # ' + res[3] if res[3] else ''))
    return metrics, hists, fails, cpu


def load_runs(out):
    """{mode: {kernel: [(run, metrics, hists, fails)]}}, {mode: metrics},
    {mode: {kernel: cpu copy flags}}."""
    runs, order, cpus = {}, {}, {}
    pat = re.compile(r'^(det|det-noerms|wall)-(ref|ours)-(\d+)\.tap$')
    for path in sorted(glob.glob(os.path.join(out, 'raw', '*.tap'))):
        m = pat.match(os.path.basename(path))
        if not m:
            continue
        metrics, hists, fails, cpu = parse_tap(path)
        if cpu is not None:
            cpus.setdefault(m.group(1), {})[m.group(2)] = cpu
        names = order.setdefault(m.group(1), [])
        for name in metrics:
            if name not in names and not name.startswith('faults:'):
                names.append(name)
        runs.setdefault(m.group(1), {}).setdefault(m.group(2), []).append(
            (int(m.group(3)), metrics, hists, fails))
    for mode in runs.values():
        for k in mode:
            mode[k].sort(key=lambda r: r[0])
    return runs, order, cpus


def better(unit):
    return 'lower' if unit in ('ns', 's') else 'higher'


def is_worse(ratio, unit):
    if ratio is None:
        return False
    if better(unit) == 'lower':
        return ratio > 1 + WORSE
    return ratio < 1 - WORSE


def ranges(ref, ours, unit):
    """'worse' or 'better' when the kernels' [min, max] ranges do not
    overlap (the side ours is on), else 'overlap'."""
    lo_is_good = better(unit) == 'lower'
    if ours['min'] > ref['max']:
        return 'worse' if lo_is_good else 'better'
    if ours['max'] < ref['min']:
        return 'better' if lo_is_good else 'worse'
    return 'overlap'


def shown_unit(mode, unit):
    """The unit as the report shows it: in the deterministic modes time is
    counted in guest instructions."""
    if not mode.startswith('det') or not unit:
        return unit
    if unit == 'ns':
        return 'guest instr'
    if unit.endswith('/s'):
        return unit[:-2] + ' per 10⁹ guest instr'
    return unit


def config_diff(ref_path, ours_path):
    """The CONFIG_ symbols whose values differ between two .config files,
    as [(symbol, upstream value, our value)]; None when one is missing."""
    def load(path):
        vals = {}
        with open(path, encoding='utf-8') as f:
            for line in f:
                m = re.match(r'^(CONFIG_\w+)=(.*)$', line)
                if m:
                    vals[m.group(1)] = m.group(2)
        return vals
    try:
        ref, ours = load(ref_path), load(ours_path)
    except (OSError, TypeError):
        return None
    return [(k, ref.get(k, 'n'), ours.get(k, 'n'))
            for k in sorted(set(ref) | set(ours)) if ref.get(k) != ours.get(k)]


def fmt(v, unit):
    if v is None:
        return '—'
    if unit == 'ns' or abs(v) >= 1000:
        return f'{v:,.0f}'
    if abs(v) >= 10:
        return f'{v:.1f}'
    return f'{v:.3f}'


def sha256(path):
    if not path or not os.path.exists(path):
        return None
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def git(tree, *args):
    if not tree:
        return None
    try:
        return subprocess.run(['git', '-C', tree, *args], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def kernel_info(image, tree, ours):
    info = {'image': image, 'sha256': sha256(image)}
    if ours:
        info['commit'] = git(tree, 'describe', '--always', '--dirty')
        n = git(tree, 'rev-list', '--count', 'base..HEAD')
        info['description'] = (f'base + {n} series commits'
                               if n else 'build/linux')
    else:
        info['commit'] = git(tree, 'rev-parse', '--short=12', 'HEAD')
        info['description'] = 'pristine base (tag pristine)'
    return info


def summarize(mode, kruns, order):
    """The table rows of one mode."""
    rows = []
    for name in order:
        row = {'metric': name, 'unit': None}
        for k in KERNELS:
            vals = [r[1][name][0] for r in kruns.get(k, []) if name in r[1]]
            units = [r[1][name][1] for r in kruns.get(k, []) if name in r[1]]
            if units:
                row['unit'] = units[0]
            if not vals:
                row[k] = None
                continue
            if mode.startswith('det'):
                row[k] = {'value': vals[0], 'runs': vals}
                if len(vals) > 1:
                    row[k]['spread'] = (max(vals) - min(vals)) / vals[0] \
                        if vals[0] else 0.0
            else:
                row[k] = {'value': statistics.median(vals),
                          'min': min(vals), 'max': max(vals), 'runs': vals}
        if row['unit'] is None:
            continue
        row['better'] = better(row['unit'])
        row['shown_unit'] = shown_unit(mode, row['unit'])
        ref, ours = row.get('ref'), row.get('ours')
        row['ratio'] = (ours['value'] / ref['value']
                        if ref and ours and ref['value'] else None)
        row['worse'] = is_worse(row['ratio'], row['unit'])
        if mode == 'wall' and ref and ours:
            # Wall-clock figures vary: worse only when it shows beyond
            # the spread of the rounds too.
            row['ranges'] = ranges(ref, ours, row['unit'])
            row['worse'] = row['worse'] and row['ranges'] == 'worse'
        rows.append(row)
    return rows


def agreement_previous(prev, report):
    """Deterministic figures against the previous report's, for each kernel
    whose image is the same."""
    if not prev:
        return None
    try:
        same = [k for k in KERNELS if prev['kernels'][k]['sha256'] ==
                report['kernels'][k]['sha256']]
        old = {r['metric']: r for r in prev['modes']['det']['metrics']}
    except (KeyError, TypeError):
        return None
    if not same:
        return {'same_images': []}
    worst, n, within = None, 0, 0
    for row in report['modes']['det']['metrics']:
        o = old.get(row['metric'])
        for k in same:
            if not o or not o.get(k) or not row.get(k):
                continue
            a, b = o[k]['value'], row[k]['value']
            d = abs(b - a) / a if a else (0.0 if a == b else 1.0)
            n += 1
            within += d <= AGREE
            if worst is None or d > worst[0]:
                worst = (d, row['metric'], LABEL[k], a, b, row['unit'])
    return {'same_images': [LABEL[k] for k in same],
            'previous': prev.get('generated'),
            'compared': n, 'within': within, 'max': worst[0] if worst else 0,
            'max_metric': list(worst[1:]) if worst else None}


def write_plots(out, runs):
    """plot.gp and its data: the round-trip latency histograms."""
    ddir = os.path.join(out, 'plot')
    os.makedirs(ddir, exist_ok=True)
    for f in glob.glob(os.path.join(ddir, '*.dat')):
        os.remove(f)
    gp = ['# gnuplot script written by scripts/bench-report.py; run in '
          'build/bench.',
          'set logscale x', 'set logscale y', 'set grid',
          'set format x "%.0s%c"', 'set format y "%g"',
          'set key top right',
          'set ylabel "fraction of faults per bucket"']
    pngs = []
    for mode in MODES:
        if mode not in runs:
            continue
        files = {}
        for k in KERNELS:
            merged = {}
            for _, _, hists, _ in runs[mode].get(k, []):
                for name, buckets in hists.items():
                    h = merged.setdefault(name, {})
                    for b, c in buckets:
                        h[b] = h.get(b, 0) + c
            for name, h in merged.items():
                total = sum(h.values())
                path = os.path.join(ddir, f'{mode}-{k}-{name}.dat')
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(f'# {name}, {LABEL[k]} kernel, {mode} mode: '
                            'bucket lower bound (ns), fraction, count\n')
                    for b in sorted(h):
                        f.write(f'{b} {h[b] / total:.6g} {h[b]}\n')
                files[(k, name)] = os.path.relpath(path, out)
        panels = [p + w for w in ('', '.write') for p in PLOTS
                  if any((k, p + w) in files for k in KERNELS)]
        if not panels:
            continue
        png = f'roundtrip-{mode}.png'
        pngs.append((mode, png))
        xl = ('latency (guest instructions)' if mode.startswith('det')
              else 'latency (ns)')
        rows = 1 if len(panels) <= 2 else 2
        cols = (len(panels) + rows - 1) // rows
        gp += [f'set terminal pngcairo size {500 * cols + 100},'
               f'{450 * rows + 50} font ",10"',
               f'set output "{png}"', f'set xlabel "{xl}"',
               # No backquotes: gnuplot runs what they enclose.
               f'set multiplot layout {rows},{cols} title "userfaultfd '
               f'round trip, {MODES[mode][0].lower().replace("`", "")}: '
               f'upstream 6.1 vs ours"']
        for p in panels:
            curves = []
            for k, style in (('ref', 'lc rgb "#1f77b4" pt 7'),
                             ('ours', 'lc rgb "#d62728" pt 9')):
                if (k, p) in files:
                    curves.append(f'"{files[(k, p)]}" using 1:2 with '
                                  f'linespoints {style} ps 0.6 lw 1.5 '
                                  f'title "{LABEL[k]}"')
            floor = FLOOR_WRITE if p.endswith('.write') else FLOOR
            if ('ref', floor) in files:
                curves.append(f'"{files[("ref", floor)]}" using 1:2 with '
                              'lines lc rgb "#999999" dt 2 title "plain '
                              f'{floor.split(".")[-1]} fault (upstream)"')
            gp.append(f'set title "{p}"')
            gp.append('plot ' + ', \\\n     '.join(curves))
        gp += ['unset multiplot', 'unset output']
    with open(os.path.join(out, 'plot.gp'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(gp) + '\n')
    return pngs


def markdown(report, pngs):
    md = ['# userfaultfd benchmarks: upstream 6.1 vs ours', '',
          f'Generated {report["generated"]} by `make bench` '
          f'(host: {report["host"]["cpus"]} CPUs, {report["host"]["qemu"]}).',
          '']
    for k in KERNELS:
        i = report['kernels'][k]
        md.append(f'- **{LABEL[k]}**: `{os.path.basename(i["image"] or "")}`'
                  f', {i["description"]}, `{i["commit"]}`, image sha256 '
                  f'`{(i["sha256"] or "?")[:16]}`')
    md += ['', 'Both kernels: configs/guest.config + series.config (no debug '
           'overlay), the same benchmark binaries (built against the '
           'series\' uapi headers), the same QEMU settings. '
           '**ratio** = ours / upstream; **better** says which direction '
           'is good: for `lower` a ratio above 1 means ours is slower, for '
           '`higher` a ratio below 1 means ours is slower. Rows marked ⚠ '
           f'are more than {WORSE:.0%} worse for ours; in wall-clock mode '
           'only when, besides, the two kernels\' [min, max] ranges do not '
           'overlap.', '']
    md += differs_md(report.get('config_diff'))
    for mode, (title, settings) in MODES.items():
        m = report['modes'].get(mode)
        if not m:
            continue
        md += [f'## {title}', '', settings + f' Runs per kernel: {m["runs"]}.',
               '']
        cpu = m.get('cpu') or {}
        if cpu:
            md += ['The guest\'s CPU flags that choose the copy and clear '
                   'routines: ' + '; '.join(
                       f'{LABEL[k]}: `{" ".join(cpu[k]) or "none"}`'
                       for k in KERNELS if k in cpu) + '.', '']
        if mode.startswith('det'):
            md += ['| metric | unit | better | upstream | ours | ratio |',
                   '|---|---|---|---:|---:|---:|']
        else:
            md += ['| metric | unit | better | upstream median [min, max] | '
                   'ours median [min, max] | ratio | ranges |',
                   '|---|---|---|---:|---:|---:|---|']
        for r in m['metrics']:
            cells = []
            for k in KERNELS:
                v = r.get(k)
                if not v:
                    cells.append('—')
                elif mode.startswith('det'):
                    cells.append(fmt(v['value'], r['unit']))
                else:
                    cells.append(f'{fmt(v["value"], r["unit"])} '
                                 f'[{fmt(v["min"], r["unit"])}, '
                                 f'{fmt(v["max"], r["unit"])}]')
            ratio = f'{r["ratio"]:.3f}' if r['ratio'] is not None else '—'
            if r['worse']:
                ratio += ' ⚠'
            line = (f'| {r["metric"]} | {r.get("shown_unit", r["unit"])} | '
                    f'{r["better"]} | {cells[0]} | {cells[1]} | {ratio} |')
            if mode == 'wall':
                line += f' {r.get("ranges", "—")} |'
            md.append(line)
        md.append('')
        for pm, png in pngs:
            if pm == mode:
                md += [f'![round-trip latency, {title.lower()}]({png})', '',
                       f'`{png}`: the distribution of the round-trip '
                       'latencies (fraction of faults per bucket, 8 buckets '
                       'per power of two, both axes logarithmic), one panel '
                       'per configuration; the dashed grey line is a plain '
                       'page fault on unregistered memory (upstream) with '
                       'the same access.', '']
        if mode.startswith('det'):
            md += agreement_md(m)
        if m.get('capped'):
            md += ['Stopped by their time cap, with fewer faults than asked '
                   '(fewest and most over the runs of both kernels): '
                   + '; '.join(f'{n} {c["min"]}–{c["max"]} in {c["runs"]} '
                               'runs' for n, c in sorted(m['capped'].items()))
                   + '.', '']
        if m['failed']:
            md += ['Failed benchmarks: ' + '; '.join(m['failed']), '']
    worse = [(mode, r) for mode, m in report['modes'].items()
             for r in m['metrics'] if r['worse']]
    md += ['## Where ours is more than 5% worse', '']
    if worse:
        for mode, r in worse:
            md.append(f'- {MODES[mode][0].lower()}: {r["metric"]} ratio '
                      f'{r["ratio"]:.3f} ({r["better"]} is better)')
    else:
        md.append('None.')
    if report['missing']:
        md += ['', '## Metrics without a ratio', '']
        md += [f'- {m}' for m in report['missing']]
    return '\n'.join(md) + '\n'


def differs_md(diff):
    """What differs between the two kernels besides the series."""
    md = ['## What differs besides the series', '',
          'The upstream kernel is the pristine base, with upstream\'s '
          'userfaultfd as 6.1 has it. Both have write protection '
          '(`HAVE_ARCH_USERFAULTFD_WP`) and minor faults; upstream\'s pte '
          'markers (`PTE_MARKER_UFFD_WP`, write protection of shmem and '
          'hugetlbfs) are compiled in and run on the zap, fork and mprotect '
          'paths, while ours does not have them yet. Everything else is the '
          'same source.', '']
    if diff is None:
        md += ['(The two .config files were not given: no symbol list.)', '']
    elif diff:
        md += ['Configuration symbols that differ (upstream → ours): ' +
               ', '.join(f'`{k}` {a} → {b}' for k, a, b in diff) + '.', '']
    else:
        md += ['The two .config files are identical.', '']
    return md


def agreement_md(m):
    md = []
    spreads = [(r[k]['spread'], r['metric'], LABEL[k])
               for r in m['metrics'] for k in KERNELS
               if r.get(k) and 'spread' in r[k]]
    if spreads:
        s = max(spreads)
        same = sum(1 for x in spreads if x[0] == 0)
        md += [f'Run-to-run agreement within this `make bench` '
               f'({m["runs"]} boots of each kernel): {same} of '
               f'{len(spreads)} figures identical in every boot'
               + (f'; largest spread {s[0]:.4%} ({s[1]}, {s[2]}).'
                  if s[0] else '.'), '']
    prev = m.get('previous')
    if prev and prev.get('same_images'):
        mm = prev['max_metric']
        md += [f'Against the previous `make bench` ({prev["previous"]}; '
               f'same image for: {", ".join(prev["same_images"])}): '
               f'{prev["within"]} of {prev["compared"]} figures within '
               f'{AGREE:.1%}; largest difference {prev["max"]:.4%}'
               + (f' ({mm[0]}, {mm[1]}: {fmt(mm[2], mm[4])} then '
                  f'{fmt(mm[3], mm[4])} {mm[4]}).' if mm else '.'), '']
    elif prev:
        md += ['The previous `make bench` ran other kernel images: no '
               'comparison with it.', '']
    return md


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--ref-image')
    ap.add_argument('--ours-image')
    ap.add_argument('--ref-tree')
    ap.add_argument('--ours-tree')
    ap.add_argument('--ref-config')
    ap.add_argument('--ours-config')
    a = ap.parse_args()

    runs, order, cpus = load_runs(a.out)
    qemu = subprocess.run(['qemu-system-x86_64', '--version'],
                          capture_output=True, text=True).stdout
    report = {
        'generated': datetime.datetime.now(datetime.timezone.utc)
        .strftime('%Y-%m-%d %H:%M UTC'),
        'host': {'cpus': os.cpu_count(), 'machine': platform.machine(),
                 'qemu': qemu.splitlines()[0] if qemu else 'qemu ?'},
        'kernels': {'ref': kernel_info(a.ref_image, a.ref_tree, False),
                    'ours': kernel_info(a.ours_image, a.ours_tree, True)},
        'modes': {}, 'histograms': {}, 'missing': [],
        'config_diff': config_diff(a.ref_config, a.ours_config),
    }
    failed_any = False
    for mode in MODES:
        if mode not in runs:
            continue
        kruns = runs[mode]
        rows = summarize(mode, kruns, order[mode])
        failed = [f'{LABEL[k]} run {r[0]}: {f}' for k in KERNELS
                  for r in kruns.get(k, []) for f in r[3]]
        failed_any = failed_any or bool(failed)
        report['modes'][mode] = {
            'settings': MODES[mode][1],
            'runs': min(len(kruns.get(k, [])) for k in KERNELS),
            'metrics': rows, 'failed': failed, 'cpu': cpus.get(mode),
            'raw': {k: [{'run': r[0], 'metrics': {n: v[0] for n, v in
                                                  r[1].items()}}
                        for r in kruns.get(k, [])] for k in KERNELS},
        }
        capped = {}
        for k in KERNELS:
            for r in kruns.get(k, []):
                for n, v in r[1].items():
                    if n.startswith('faults:'):
                        capped.setdefault(n[7:], []).append(v[0])
        report['modes'][mode]['capped'] = {
            n: {'min': min(v), 'max': max(v), 'runs': len(v)}
            for n, v in capped.items()}
        report['histograms'][mode] = {
            k: [{'run': r[0], 'hist': r[2]} for r in kruns.get(k, [])]
            for k in KERNELS}
        report['missing'] += [f'{mode}: {r["metric"]}' for r in rows
                              if r['ratio'] is None]
        have = {r['metric'] for r in rows}
        report['missing'] += [f'{mode}: {n}' for n in order[mode]
                              if n not in have]
    if not report['modes']:
        report['missing'].append('no benchmark figures at all')
    prev = None
    try:
        with open(os.path.join(a.out, 'previous.json'),
                  encoding='utf-8') as f:
            prev = json.load(f)
    except (OSError, ValueError):
        pass
    if 'det' in report['modes']:
        report['modes']['det']['previous'] = agreement_previous(prev, report)

    pngs = write_plots(a.out, runs)
    with open(os.path.join(a.out, 'report.json'), 'w',
              encoding='utf-8') as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(a.out, 'report.md'), 'w', encoding='utf-8') as f:
        f.write(markdown(report, pngs))
    print(os.path.join(a.out, 'report.md'))
    if report['missing']:
        print('metrics without a ratio: ' + ', '.join(report['missing']),
              file=sys.stderr)
    return 1 if report['missing'] or failed_any else 0


if __name__ == '__main__':
    sys.exit(main())
