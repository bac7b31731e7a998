#!/usr/bin/env python3
"""Judge one guest run from its logs.

judge.py CONSOLE TAP LIST [--status FILE]

CONSOLE is the whole serial console (kernel log and test output), TAP the
second serial port where the guest's /init writes only TAP, LIST the test
list the guest was given (one "name<TAB>timeout<TAB>command" a line).
Prints one TAP result line per listed test plus one for the kernel log, a
one-line reason for every failure, and the line "N passed, M failed".
Exit status 0 only when nothing failed.
"""
import re
import sys

SPLAT = re.compile(
    r'BUG:|WARNING:|Oops|kernel BUG|general protection fault|KASAN|KFENCE'
    r'|UBSAN|possible circular locking|possible recursive locking'
    r'|inconsistent lock state|suspicious RCU usage|blocked for more than'
    r'|soft lockup|hard LOCKUP|rcu_\w+ (self-)?detected stall|Call Trace:')
PANIC = re.compile(r'Kernel panic - not syncing:.*')
RESULT = re.compile(r'^(not ok|ok) (\d+) ([^#]*?)\s*(?:# (.*))?$')


def judge(console, tap, names, host_status=''):
    """Return a list of (name, status, reason); status is pass, fail, skip."""
    got = {}
    for line in tap.splitlines():
        m = RESULT.match(line.strip())
        if not m:
            continue
        num = int(m.group(2))
        if 1 <= num <= len(names) and num not in got:
            got[num] = (m.group(1), m.group(4) or '')
    panic = PANIC.search(console)
    out = []
    missing_reason = None
    for num, name in enumerate(names, 1):
        if num in got:
            verdict, note = got[num]
            if verdict == 'ok' and note.upper().startswith('SKIP'):
                out.append((name, 'skip', note[4:].strip()))
            elif verdict == 'ok':
                out.append((name, 'pass', ''))
            else:
                out.append((name, 'fail', note or 'failed'))
            continue
        if missing_reason is None:
            if panic:
                reason = panic.group(0).strip()
            elif host_status.startswith('timeout'):
                reason = 'no result: the guest hung (host ' + host_status + ')'
            elif host_status.startswith('qemu'):
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
    return out


def read_names(path):
    names = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.strip():
                names.append(line.split('\t', 1)[0])
    return names


def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def main(argv):
    args = argv[1:]
    status = ''
    if '--status' in args:
        i = args.index('--status')
        status = read(args[i + 1]).strip()
        del args[i:i + 2]
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    results = judge(read(args[0]), read(args[1]), read_names(args[2]), status)
    passed = failed = skipped = 0
    for num, (name, st, reason) in enumerate(results, 1):
        if st == 'pass':
            passed += 1
            print(f'ok {num} {name}')
        elif st == 'skip':
            skipped += 1
            print(f'ok {num} {name} # SKIP {reason}')
        else:
            failed += 1
            print(f'not ok {num} {name} # {reason}')
    print(f'{passed} passed, {failed} failed' +
          (f', {skipped} skipped' if skipped else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
