"""Tests of the guest-run verdict (scripts/judge.py) on recorded consoles.

Each folder under tests/harness/logs/ holds one recorded run: console, tap,
list, optionally status (what the host saw: a timeout, a QEMU failure), and
expected: the verdict lines judge.py must print, the summary line last.
"""
import io
import os
import sys
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts'))
import judge  # noqa: E402

LOGS = os.path.join(HERE, 'logs')


def run_case(name):
    d = os.path.join(LOGS, name)
    argv = ['judge.py']
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

    def test_summary_line_is_plain(self):
        for name in sorted(os.listdir(LOGS)):
            _, got, _ = run_case(name)
            last = got.rstrip('\n').split('\n')[-1]
            self.assertRegex(last, r'^\d+ passed, \d+ failed(, \d+ skipped)?$')


class Patterns(unittest.TestCase):
    def test_splat_in_test_output_is_not_the_kernel(self):
        console = '# WARNING: this is the test talking\nok 1 a\n'
        res = judge.judge(console, 'ok 1 a\n', ['a'])
        self.assertEqual(res[-1], ('kernel log', 'pass', ''))

    def test_skip(self):
        res = judge.judge('', 'ok 1 a # SKIP no hugetlb\n', ['a'])
        self.assertEqual(res[0], ('a', 'skip', 'no hugetlb'))

    def test_result_numbers_outside_the_plan_are_ignored(self):
        res = judge.judge('', 'ok 7 a\n', ['a'])
        self.assertEqual(res[0][1], 'fail')


if __name__ == '__main__':
    unittest.main()
