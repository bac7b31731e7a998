#!/usr/bin/env python3
"""Judge one guest run from its logs.

judge.py CONSOLE TAP LIST [--status FILE] [--nonce NONCE] [--logs DIR]
         [--json FILE]

CONSOLE is the whole serial console (kernel log and test output), TAP the
second serial port where the guest's /init writes only TAP, LIST the test
list the guest was given (one "name<TAB>timeout<TAB>command" a line).
Prints one TAP result line per listed test plus one for the kernel log, a
one-line reason for every failure, and the line "N passed, M failed".
With --nonce, the TAP counts only if it carries the line "# nonce NONCE"
that the guest prints from its kernel command line: output left over from
an earlier boot is never judged as this one's. A non-empty host status (a
timeout, QEMU failing, the host ending a boot on a kernel splat) fails the
run on a "host" line of its own.
A failing test's reason names the cases its program's own TAP failed.
A passing test that printed "flaky: ..." (tests/guest/retry-once: it
failed once and passed when run again) passes with that line as its reason.
With --logs, each test's whole output goes to DIR/NAME.log. With --json,
the verdict goes to FILE as data as well (scripts/verdict.py), with each
test's duration: what the scripts read.
Exit status 0 only when nothing failed.
"""
import os
import re
import sys

import verdict

HERE = os.path.dirname(os.path.abspath(__file__))
# The kernel log patterns, one a line: the same file serves the guest's /init
# and the stress loop (grep -E -f), so it keeps to what both dialects share.
PATTERNS = os.path.join(HERE, '..', 'guest', 'splat.patterns')


def load_splat(path=PATTERNS):
    with open(path, encoding='utf-8') as f:
        pats = [line.rstrip('\n') for line in f if line.strip()]
    return re.compile('|'.join('(?:%s)' % p for p in pats))


SPLAT = load_splat()
PANIC = re.compile(r'Kernel panic - not syncing:.*')
RUN = re.compile(r'^# run (\S+): ')
# The guest's line after each test: "# NAME: exit RC after Ns".
DONE = re.compile(r'^# (\S+): exit -?\d+ after (\d+)s$')
# A test's output line that says it passed only when run again.
FLAKY = re.compile(r'^(?:# )+(flaky: .*)$')


def blocks(tap):
    """Each test's lines in the TAP: {name: [lines]}, from its "# run" line
    up to the next one."""
    out, cur = {}, None
    for line in tap.splitlines():
        m = RUN.match(line)
        if m:
            cur = m.group(1)
            out[cur] = []
        if cur is not None:
            out[cur].append(line)
    return out


def nested(line):
    """A line of a test's output as the guest prints it (behind "# "),
    without those prefixes; None for a line that is not output."""
    line = line.strip()
    if not line.startswith('# '):
        return None
    while line.startswith('# '):
        line = line[2:]
    return line


def failed_subtests(lines):
    """The names of a program's own failing TAP cases (SKIPs aside)."""
    names = []
    for line in lines:
        res = verdict.tap_result(nested(line) or '')
        if res and not res[0] and \
           not res[3].upper().startswith(('SKIP', 'TODO')):
            names.append(res[2])
    return names


def flaky_note(lines):
    """The "flaky: ..." line a test printed, or ''."""
    for line in lines:
        m = FLAKY.match(line.strip())
        if m:
            return m.group(1)
    return ''


def durations(tap):
    """{name: seconds} from the guest's line after each test."""
    out = {}
    for line in tap.splitlines():
        m = DONE.match(line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def judge(console, tap, names, host_status='', nonce=None):
    """Return a list of (name, status, reason); status is pass, fail, skip."""
    got = {}
    stale = nonce is not None and ('# nonce ' + nonce) not in tap.splitlines()
    if stale:
        tap = ''
    for line in tap.splitlines():
        res = verdict.tap_result(line)
        if not res:
            continue
        ok, num, _, note = res
        if 1 <= num <= len(names) and num not in got:
            got[num] = ('ok' if ok else 'not ok', note)
    panic = PANIC.search(console)
    runs = blocks(tap)
    out = []
    missing_reason = None
    for num, name in enumerate(names, 1):
        if num in got:
            word, note = got[num]
            if word == 'ok' and note.upper().startswith('SKIP'):
                out.append((name, 'skip', note[4:].strip()))
            elif word == 'ok':
                out.append((name, 'pass', flaky_note(runs.get(name, []))))
            else:
                sub = failed_subtests(runs.get(name, []))
                reason = note or 'failed'
                if sub:
                    reason += ' (failed: %s)' % ', '.join(sub[:8])
                out.append((name, 'fail', reason))
            continue
        if missing_reason is None:
            if stale:
                reason = 'no result from this boot (the TAP lacks its nonce)'
            elif panic:
                reason = panic.group(0).strip()
            elif host_status.startswith('timeout'):
                reason = 'no result: the guest hung (host ' + host_status + ')'
            elif host_status:
                reason = 'no result: ' + host_status
            else:
                reason = 'no result line from the guest'
            out.append((name, 'fail', reason))
            missing_reason = 'not run: an earlier test ' + (
                'panicked the kernel' if panic else 'did not finish')
        else:
            out.append((name, 'fail', missing_reason))
    splat = None
    for line in console.splitlines():
        if SPLAT.search(line) and not line.startswith(('#', 'not ok', 'ok ')):
            splat = line.strip()
            break
    if panic or splat:
        out.append(('kernel log', 'fail',
                    'kernel log: ' + (panic.group(0) if panic else splat)[:160]))
    else:
        out.append(('kernel log', 'pass', ''))
    if host_status:
        out.append(('host', 'fail', host_status.splitlines()[0][:200]))
    return out


def write_logs(logdir, tap):
    """Each test's whole output in LOGDIR/NAME.log (a / in NAME becomes _)."""
    os.makedirs(logdir, exist_ok=True)
    for name, lines in blocks(tap).items():
        path = os.path.join(logdir, name.replace('/', '_') + '.log')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('\n'.join(lines) + '\n')


def read_names(path):
    return [name for name, _, _ in verdict.read_list(path)]


def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def main(argv):
    args = argv[1:]
    status = ''
    nonce = None
    if '--status' in args:
        i = args.index('--status')
        status = read(args[i + 1]).strip()
        del args[i:i + 2]
    logdir = None
    if '--logs' in args:
        i = args.index('--logs')
        logdir = args[i + 1]
        del args[i:i + 2]
    if '--nonce' in args:
        i = args.index('--nonce')
        nonce = args[i + 1]
        del args[i:i + 2]
    jsonpath = None
    if '--json' in args:
        i = args.index('--json')
        jsonpath = args[i + 1]
        del args[i:i + 2]
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    tap = read(args[1])
    if logdir:
        write_logs(logdir, tap)
    results = judge(read(args[0]), tap, read_names(args[2]), status, nonce)
    took = durations(tap)
    result = verdict.make_result([
        {'name': name, 'status': st, 'reason': reason,
         'duration': took.get(name)} for name, st, reason in results])
    if jsonpath:
        verdict.write_result(jsonpath, result)
    for num, (name, st, reason) in enumerate(results, 1):
        if st == 'pass':
            print(f'ok {num} {name}' + (f' # {reason}' if reason else ''))
        elif st == 'skip':
            print(f'ok {num} {name} # SKIP {reason}')
        else:
            print(f'not ok {num} {name} # {reason}')
    print(verdict.summary_line(result['totals']))
    return 0 if verdict.passed(result) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
