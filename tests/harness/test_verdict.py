"""Tests of scripts/verdict.py, the one reader of judged runs that the
shell scripts call, and of tests/guest/retry-once, whose "flaky" line the
judge reports."""
import json
import os
import subprocess
import sys
import tempfile
import shutil
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, '..', '..')
VERDICT = os.path.join(TOP, 'scripts', 'verdict.py')
RETRY = os.path.join(TOP, 'tests', 'guest', 'retry-once')
sys.path.insert(0, os.path.join(TOP, 'scripts'))
import verdict  # noqa: E402


def run(*args):
    p = subprocess.run([sys.executable, VERDICT] + list(args),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout


class Command(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def result(self, *tests):
        path = os.path.join(self.dir, 'r.result.json')
        verdict.write_result(path, verdict.make_result([
            {'name': n, 'status': s, 'reason': r, 'duration': 1}
            for n, s, r in tests]))
        return path

    def test_passing_run(self):
        path = self.result(('a/one', 'pass', ''), ('a/two', 'skip', 'no x'),
                           ('kernel log', 'pass', ''))
        self.assertEqual(run('ok', path), (0, ''))
        self.assertEqual(run('summary', path),
                         (0, '2 passed, 0 failed, 1 skipped\n'))
        self.assertEqual(run('tests', path, 'skip'), (0, 'skip\ta/two\tno x\n'))

    def test_failing_run(self):
        path = self.result(('a/one', 'fail', 'exit code 1'),
                           ('host', 'fail', 'timeout after 5s'))
        self.assertEqual(run('ok', path)[0], 1)
        self.assertEqual(run('summary', path), (0, '0 passed, 2 failed\n'))
        self.assertEqual(run('reason', path, 'host'), (0, 'timeout after 5s\n'))
        self.assertEqual(run('reason', path, 'nope')[0], 1)
        self.assertEqual(run('tests', path)[1].splitlines(),
                         ['fail\ta/one\texit code 1',
                          'fail\thost\ttimeout after 5s'])

    def test_missing_or_broken_verdict_fails(self):
        self.assertEqual(run('ok', os.path.join(self.dir, 'none.json'))[0], 1)
        bad = os.path.join(self.dir, 'bad.json')
        for text in ('{', '{"tests": [{"name": "a", "status": "fine"}]}',
                     '{"tests": []}'):
            with open(bad, 'w') as f:
                f.write(text)
            self.assertEqual(run('ok', bad)[0], 1, text)
        with open(bad, 'w') as f:
            f.write('{')
        self.assertRegex(run('tests', bad, 'fail')[1],
                         r'^fail\tverdict\tno usable verdict in ')

    def test_list_timeouts(self):
        path = os.path.join(self.dir, 'list')
        with open(path, 'w') as f:
            f.write('# comment\na\t60\ta -x\n\nb\t300\tb\n')
        self.assertEqual(run('timeout', path), (0, '360\n'))
        self.assertEqual(verdict.read_list(path),
                         [('a', 60, 'a -x'), ('b', 300, 'b')])

    def test_usage(self):
        self.assertEqual(run('nope', 'x')[0], 2)

    def test_json_shape(self):
        path = self.result(('a', 'pass', ''))
        with open(path) as f:
            data = json.load(f)
        self.assertEqual(data['totals'], {'passed': 1, 'failed': 0,
                                          'skipped': 0})


class RetryOnce(unittest.TestCase):
    """tests/guest/retry-once on the host, with a stub test that fails as
    often as a counter file says."""
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.stub = os.path.join(self.dir, 'stub')
        with open(self.stub, 'w') as f:
            f.write('#!/bin/sh\nn=$(cat "$0.fails")\n'
                    '[ "$n" -gt 0 ] || exit "${STUB_PASS_RC:-0}"\n'
                    'echo $((n - 1)) >"$0.fails"\nexit 1\n')
        os.chmod(self.stub, 0o755)

    def retry(self, fails, pass_rc=0):
        with open(self.stub + '.fails', 'w') as f:
            f.write('%d\n' % fails)
        p = subprocess.run(['sh', RETRY, self.stub],
                           env=dict(os.environ, STUB_PASS_RC=str(pass_rc)),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout

    def test_pass_runs_once(self):
        self.assertEqual(self.retry(0), (0, ''))

    def test_skip_is_not_retried(self):
        self.assertEqual(self.retry(0, pass_rc=4), (4, ''))

    def test_one_failure_then_pass_is_flaky(self):
        rc, out = self.retry(1)
        self.assertEqual(rc, 0)
        self.assertIn('flaky: first run exit 1, second run exit 0', out)

    def test_two_failures_fail(self):
        rc, out = self.retry(2)
        self.assertEqual(rc, 1)
        self.assertIn('second run exit 1', out)


if __name__ == '__main__':
    unittest.main()
