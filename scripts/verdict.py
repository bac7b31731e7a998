#!/usr/bin/env python3
"""Test lists, TAP result lines and judged runs, read and written in one place.

The harness's formats:
- a test list (tests/groups/*.list, build-tests.sh's OUT/list): one
  "name<TAB>timeout<TAB>command" a line; blank lines and "#" lines are
  comments;
- TAP result lines, "ok N name", "not ok N name # reason", as the guest's
  /init and the test programs print them;
- a judged run, RUN.result.json, which judge.py writes beside its text:
    {"tests": [{"name", "status" (pass|fail|skip), "reason",
                "duration" (seconds, or null)}, ...],
     "totals": {"passed", "failed", "skipped"}}

judge.py and bench-report.py import this module; the shell scripts call it
as a command (lib.sh's `verdict`) and never parse the judge's text:

  verdict.py ok RESULT.json            exit 0 when the run has tests and
                                       none failed, 1 otherwise
  verdict.py summary RESULT.json       "N passed, M failed[, K skipped]"
  verdict.py tests RESULT.json [STATUS]
                                       "STATUS<TAB>NAME<TAB>REASON", one
                                       line a test (only STATUS's, if given)
  verdict.py reason RESULT.json NAME   the reason of test NAME (exit 1 if
                                       the run has no such test)
  verdict.py timeout LIST              the sum of LIST's timeouts, seconds
"""
import json
import re
import sys

STATUSES = ('pass', 'fail', 'skip')
# "ok 3 name", "not ok 3 name # reason"; name may hold spaces.
RESULT = re.compile(r'^(not ok|ok) (\d+) ([^#]*?)\s*(?:# (.*))?$')


def tap_result(line):
    """A TAP result line as (ok, number, name, directive), else None."""
    m = RESULT.match(line.strip())
    if not m:
        return None
    return m.group(1) == 'ok', int(m.group(2)), m.group(3), m.group(4) or ''


def read_list(path):
    """A test list's entries: [(name, timeout, command)]; a missing or
    non-numeric timeout reads as 0."""
    entries = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            fields = line.split('\t', 2) + ['', '']
            tmo = int(fields[1]) if fields[1].isdigit() else 0
            entries.append((fields[0], tmo, fields[2]))
    return entries


def totals(tests):
    """{'passed', 'failed', 'skipped'} of a list of test dicts."""
    count = {s: sum(1 for t in tests if t['status'] == s) for s in STATUSES}
    return {'passed': count['pass'], 'failed': count['fail'],
            'skipped': count['skip']}


def summary_line(tot):
    """The plain closing line: "N passed, M failed[, K skipped]"."""
    line = '%d passed, %d failed' % (tot['passed'], tot['failed'])
    if tot['skipped']:
        line += ', %d skipped' % tot['skipped']
    return line


def make_result(tests):
    """A judged run from [{'name', 'status', 'reason', 'duration'}]."""
    for t in tests:
        if t['status'] not in STATUSES:
            raise ValueError('unknown status %r' % t['status'])
    return {'tests': list(tests), 'totals': totals(tests)}


def write_result(path, result):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(result, f, indent=1)
        f.write('\n')


def load_result(path):
    """A judged run; a missing or broken file reads as a run with one
    failed test that says so."""
    try:
        with open(path, encoding='utf-8') as f:
            result = json.load(f)
        tests = result['tests']
        for t in tests:
            if t['status'] not in STATUSES or not isinstance(t['name'], str):
                raise ValueError('bad test entry')
    except (OSError, ValueError, KeyError, TypeError) as e:
        tests = [{'name': 'verdict', 'status': 'fail', 'duration': None,
                  'reason': 'no usable verdict in %s (%s)' % (path, e)}]
    return make_result(tests)


def passed(result):
    return bool(result['tests']) and result['totals']['failed'] == 0


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path, rest = argv[1], argv[2], argv[3:]
    if cmd == 'timeout' and not rest:
        print(sum(tmo for _, tmo, _ in read_list(path)))
        return 0
    result = load_result(path)
    if cmd == 'ok' and not rest:
        return 0 if passed(result) else 1
    if cmd == 'summary' and not rest:
        print(summary_line(result['totals']))
        return 0
    if cmd == 'tests' and len(rest) <= 1:
        for t in result['tests']:
            if not rest or t['status'] == rest[0]:
                print('%s\t%s\t%s' % (t['status'], t['name'],
                                      t['reason'].replace('\n', ' ')))
        return 0
    if cmd == 'reason' and len(rest) == 1:
        for t in result['tests']:
            if t['name'] == rest[0]:
                print(t['reason'])
                return 0
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
