"""Tests of the guest-run verdict (scripts/judge.py) on recorded consoles.

Each folder under tests/harness/logs/ holds one recorded run: console, tap,
list, optionally status (what the host saw: a timeout, a QEMU failure), and
expected: the verdict lines judge.py must print, the summary line last.
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts'))
import judge  # noqa: E402
import verdict  # noqa: E402

LOGS = os.path.join(HERE, 'logs')


def run_case(name, *extra):
    """Judge recorded run NAME (judge.py's extra arguments first)."""
    d = os.path.join(LOGS, name)
    argv = ['judge.py'] + list(extra)
    if os.path.exists(os.path.join(d, 'status')):
        argv += ['--status', os.path.join(d, 'status')]
    argv += [os.path.join(d, f) for f in ('console', 'tap', 'list')]
    out = io.StringIO()
    with redirect_stdout(out):
        rc = judge.main(argv)
    with open(os.path.join(d, 'expected'), encoding='utf-8') as f:
        expected = f.read()
    return rc, out.getvalue(), expected


class RecordedRuns(unittest.TestCase):
    def check(self, name, want_rc):
        rc, got, expected = run_case(name)
        self.assertEqual(got, expected)
        self.assertEqual(rc, want_rc)

    def test_clean_pass(self):
        self.check('pass', 0)

    def test_failing_test(self):
        self.check('fail', 1)

    def test_panic(self):
        self.check('panic', 1)

    def test_hang_without_result_line(self):
        self.check('hang', 1)

    def test_lockdep_splat(self):
        self.check('lockdep', 1)

    def test_lockdep_assertion_warning(self):
        self.check('warning', 1)

    def test_nested_tap_names_the_failing_case(self):
        # A real run of a kernel with UFFDIO_COPY's old source alignment
        # check: the verdict names the unit test case and the client.
        self.check('nested', 1)

    def test_logs_one_file_per_test(self):
        d = os.path.join(LOGS, 'nested')
        out = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, out, True)
        with redirect_stdout(io.StringIO()):
            judge.main(['judge.py', '--logs', out] +
                       [os.path.join(d, f) for f in ('console', 'tap', 'list')])
        self.assertEqual(sorted(os.listdir(out)),
                         ['clients_qemu-postcopy.log', 'clients_stress-ng.log',
                          'uffd_uffd-unit-tests.log', 'uffd_userfaultfd-anon.log'])
        with open(os.path.join(out, 'uffd_uffd-unit-tests.log')) as f:
            self.assertIn('# not ok 16 copy-src-unaligned', f.read())

    def test_json_verdict_matches_the_text(self):
        # Every recorded run: the data judge.py writes says what its text
        # says, with each test's duration from the guest's "exit" line.
        for name in sorted(os.listdir(LOGS)):
            out = tempfile.mkdtemp()
            self.addCleanup(shutil.rmtree, out, True)
            path = os.path.join(out, 'r.json')
            rc, text, _ = run_case(name, '--json', path)
            res = verdict.load_result(path)
            lines = text.splitlines()
            self.assertEqual(lines[-1], verdict.summary_line(res['totals']))
            self.assertEqual(len(lines) - 1, len(res['tests']), name)
            for line, t in zip(lines, res['tests']):
                ok, _, tname, _ = verdict.tap_result(line)
                self.assertEqual(tname, t['name'])
                self.assertEqual(ok, t['status'] != 'fail', line)
            self.assertEqual(rc == 0, verdict.passed(res), name)
        with open(path, encoding='utf-8') as f:
            raw = json.load(f)
        self.assertEqual(set(raw), {'tests', 'totals'})
        self.assertEqual(set(raw['tests'][0]),
                         {'name', 'status', 'reason', 'duration'})

    def test_durations_from_the_guest(self):
        with open(os.path.join(LOGS, 'nested', 'tap'), encoding='utf-8') as f:
            took = judge.durations(f.read())
        self.assertEqual(took['uffd/uffd-unit-tests'], 7)
        self.assertEqual(took['uffd/userfaultfd-anon'], 18)

    def test_summary_line_is_plain(self):
        for name in sorted(os.listdir(LOGS)):
            _, got, _ = run_case(name)
            last = got.rstrip('\n').split('\n')[-1]
            self.assertRegex(last, r'^\d+ passed, \d+ failed(, \d+ skipped)?$')


def clean_run():
    """The recorded clean pass: console, TAP, test names."""
    d = os.path.join(LOGS, 'pass')
    with open(os.path.join(d, 'console'), encoding='utf-8') as f:
        console = f.read()
    with open(os.path.join(d, 'tap'), encoding='utf-8') as f:
        tap = f.read()
    return console, tap, judge.read_names(os.path.join(d, 'list'))


class Patterns(unittest.TestCase):
    def test_splat_in_test_output_is_not_the_kernel(self):
        console = '# WARNING: this is the test talking\nok 1 a\n'
        res = judge.judge(console, 'ok 1 a\n', ['a'])
        self.assertEqual(res[-1], ('kernel log', 'pass', ''))

    def test_skip(self):
        res = judge.judge('', 'ok 1 a # SKIP no hugetlb\n', ['a'])
        self.assertEqual(res[0], ('a', 'skip', 'no hugetlb'))

    def test_flaky_pass_says_so(self):
        # tests/guest/retry-once: the first run failed, the second passed.
        tap = ('# run a: retry-once t\n# retry-once: the first run exited 1;'
               ' running it again\n# flaky: first run exit 1, second run '
               'exit 0\n# a: exit 0 after 3s\nok 1 a\n')
        res = judge.judge('', tap, ['a'])
        self.assertEqual(res[0], ('a', 'pass',
                                  'flaky: first run exit 1, second run exit 0'))

    def test_result_numbers_outside_the_plan_are_ignored(self):
        res = judge.judge('', 'ok 7 a\n', ['a'])
        self.assertEqual(res[0][1], 'fail')


if __name__ == '__main__':
    unittest.main()


# One real kernel report line for each pattern of guest/splat.patterns.
SAMPLES = [
    '[   12.5] BUG: KASAN: use-after-free in userfaultfd_fill+0x1c/0x2a0',
    '[   12.5] WARNING: CPU: 1 PID: 93 at mm/userfaultfd.c:120 x+0x1/0x2',
    '[   12.5] Oops: 0000 [#1] PREEMPT SMP KASAN',
    '[   12.5] Kernel panic - not syncing: Fatal exception',
    '[   12.5] kernel BUG at mm/memory.c:1234!',
    '[   12.5] general protection fault, probably for non-canonical address',
    '[   12.5] ==================================================================',
    '[   12.5] KFENCE: out-of-bounds read in test_alloc+0x1/0x2',
    '[   12.5] UBSAN: shift-out-of-bounds in mm/userfaultfd.c:99:3',
    '[   12.5] WARNING: possible circular locking dependency detected',
    '[   12.5] WARNING: possible recursive locking detected',
    '[   12.5] WARNING: inconsistent lock state',
    '[   12.5] WARNING: suspicious RCU usage',
    '[  245.1] INFO: task userfaultfd:97 blocked for more than 122 seconds.',
    '[   52.1] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [uffd:95]',
    '[   52.1] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1',
    '[   60.2] rcu: INFO: rcu_preempt self-detected stall on CPU',
    '[   60.2] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:',
    '[   12.5] Call Trace:',
    '[   12.5] BUG: KASAN: slab-out-of-bounds in uffd_fill_pte+0x2/0x4',
]


class SplatPatterns(unittest.TestCase):
    def test_every_pattern_fails_a_clean_run(self):
        console, tap, names = clean_run()
        self.assertTrue(all(s != 'fail' for _, s, _ in
                            judge.judge(console, tap, names)))
        for line in SAMPLES:
            if not judge.SPLAT.search(line) and not judge.PANIC.search(line):
                continue
            lines = console.splitlines()
            spliced = '\n'.join(lines[:len(lines) // 2] + [line] +
                                 lines[len(lines) // 2:])
            res = judge.judge(spliced, tap, names)
            self.assertEqual(res[-1][:2], ('kernel log', 'fail'), line)
            self.assertIn(line.split('] ', 1)[1][:40], res[-1][2])

    def test_every_pattern_has_a_sample(self):
        with open(judge.PATTERNS, encoding='utf-8') as f:
            pats = [p.strip() for p in f if p.strip()]
        for p in pats:
            self.assertTrue(any(re.search(p, s) for s in SAMPLES), p)

    def test_guest_grep_reads_the_same_patterns(self):
        # What the guest's busybox grep -E -f finds, the judge finds too.
        bb = shutil.which('busybox')
        if not bb:
            self.skipTest('no busybox')
        p = subprocess.run([bb, 'grep', '-E', '-f', judge.PATTERNS],
                           input='\n'.join(SAMPLES) + '\n', text=True,
                           capture_output=True)
        self.assertEqual(p.stdout.splitlines(),
                         [s for s in SAMPLES if judge.SPLAT.search(s)])

    def test_nonce(self):
        console, tap, names = clean_run()
        res = judge.judge(console, tap, names, nonce='1234abcd')
        self.assertEqual([s for _, s, _ in res[:-1]], ['fail'] * len(names))
        self.assertIn('nonce', res[0][2])
        res = judge.judge(console, tap.replace('TAP version 13\n',
                                               'TAP version 13\n# nonce 1234abcd\n'),
                          names, nonce='1234abcd')
        self.assertTrue(all(s != 'fail' for _, s, _ in res))

