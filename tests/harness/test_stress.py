"""Tests of the guest side of `make stress` (tests/guest/stress-loop), run on
the host with a stub in place of the userfaultfd selftest and a file in place
of the kernel log.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, '..', '..')
LOOP = os.path.join(TOP, 'tests', 'guest', 'stress-loop')
LINE = re.compile(r'^(not ok|ok) (\d+) stress size=(\d+) time=\d+s( # .*)?$')

# The stub: counts its runs; MODE says what the Nth run does.
STUB = r'''#!/bin/sh
d=$(dirname "$0")
n=$(($(cat "$d/count" 2>/dev/null || echo 0) + 1))
echo $n >"$d/count"
echo "$*" >>"$d/args"
case "$STUB_MODE:$n" in
splat:2) echo "[ 1.0] WARNING: CPU: 0 PID: 1 at mm/userfaultfd.c:1 x" >>"$STRESS_KLOG" ;;
fail:2) echo "bounce failed"; exit 1 ;;
skip:*) echo "userfaultfd not available"; exit 4 ;;
esac
sleep 0.2
exit 0
'''


def shell():
    bb = shutil.which('busybox')
    return [bb, 'sh'] if bb else ['/bin/sh']


class StressLoop(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        with open(os.path.join(self.dir, 'userfaultfd'), 'w') as f:
            f.write(STUB)
        os.chmod(os.path.join(self.dir, 'userfaultfd'), 0o755)

    def run_loop(self, secs, mode='', seed=1234, timeout=60):
        env = dict(os.environ, PATH=self.dir + ':' + os.environ['PATH'],
                   STUB_MODE=mode, TMPDIR=self.dir,
                   STRESS_CONSOLE=os.path.join(self.dir, 'console'),
                   STRESS_KLOG=os.path.join(self.dir, 'klog'),
                   STRESS_SPLAT=os.path.join(TOP, 'guest', 'splat.patterns'))
        p = subprocess.run(shell() + [LOOP, str(secs), '20', str(seed), str(timeout),
                                      'userfaultfd', 'anon', '@SIZE@', '99'],
                           env=env, capture_output=True, text=True, timeout=300)
        with open(os.path.join(self.dir, 'console'), encoding='utf-8') as f:
            console = f.read()
        return p.returncode, p.stdout, console

    def results(self, out):
        return [m.groups() for m in map(LINE.match, out.splitlines()) if m]

    def test_splat_patterns_are_the_shared_file(self):
        # The loop and the guest's /init read guest/splat.patterns (boot.sh
        # puts it at /etc/splat.patterns); neither keeps a copy.
        for path in (LOOP, os.path.join(TOP, 'guest', 'init')):
            with open(path, encoding='utf-8') as f:
                text = f.read()
            self.assertIn('/etc/splat.patterns', text, path)
            self.assertNotRegex(text, r"SPLAT='", path)

    def test_clean_run(self):
        rc, out, console = self.run_loop(2)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out, console)
        res = self.results(out)
        self.assertGreater(len(res), 0)
        for i, (verdict, num, size, note) in enumerate(res, 1):
            self.assertEqual((verdict, int(num), note), ('ok', i, None))
            self.assertTrue(10 <= int(size) <= 29)
        self.assertEqual(out.splitlines()[-1],
                         f'stress: {len(res)} iterations, 0 failures, 0 splats')
        with open(os.path.join(self.dir, 'args'), encoding='utf-8') as f:
            args = f.read().split('\n')
        self.assertEqual(args[0], f'anon {res[0][2]} 99')

    def test_same_seed_same_sizes(self):
        sizes = []
        for _ in range(2):
            _, out, _ = self.run_loop(1, seed=42)
            sizes.append([r[2] for r in self.results(out)])
        n = min(len(sizes[0]), len(sizes[1]))
        self.assertGreater(n, 0)
        self.assertEqual(sizes[0][:n], sizes[1][:n])

    def test_splat_fails_the_iteration(self):
        rc, out, _ = self.run_loop(2, 'splat')
        self.assertEqual(rc, 1)
        res = self.results(out)
        self.assertEqual(res[1][0], 'not ok')
        self.assertIn('# kernel splat: ', res[1][3])
        self.assertRegex(out.splitlines()[-1],
                         r'^stress: \d+ iterations, 1 failures, 1 splats$')

    def test_failed_iteration(self):
        rc, out, _ = self.run_loop(2, 'fail')
        self.assertEqual(rc, 1)
        self.assertEqual(self.results(out)[1][::3], ('not ok', ' # exit 1'))
        self.assertIn('# bounce failed', out)

    def test_no_iteration_fails(self):
        rc, out, _ = self.run_loop(0)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines()[-1], 'stress: 0 iterations, 0 failures, 0 splats')

    def test_skip(self):
        rc, out, _ = self.run_loop(2, 'skip')
        self.assertEqual(rc, 4)
        self.assertIn('# SKIP userfaultfd not available', out)


class Summary(unittest.TestCase):
    """stress.sh --summarize judges the guest by its verdict as data
    (stress.result.json), not by the judge's text."""
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        logs = os.path.join(self.dir, 'logs')
        os.mkdir(logs)
        self.logs = logs
        files = {'stress.params': 'stress: a run\n',
                 'stress.console': 'ok 1 stress size=12 time=3s\r\n'
                                   'stress: 1 iterations, 0 failures, 0 splats\n',
                 'stress.tap': '# stress: 1 iterations, 0 failures, 0 splats\n',
                 # The text verdict says pass: it must not be what counts.
                 'stress.result': 'ok 1 stress/userfaultfd-bounce\n'
                                  '1 passed, 0 failed\n'}
        for name, text in files.items():
            with open(os.path.join(logs, name), 'w') as f:
                f.write(text)

    def summarize(self, kernel_log):
        sys.path.insert(0, os.path.join(TOP, 'scripts'))
        import verdict
        verdict.write_result(
            os.path.join(self.logs, 'stress.result.json'),
            verdict.make_result([
                {'name': 'stress/userfaultfd-bounce', 'status': 'pass',
                 'reason': '', 'duration': 3},
                {'name': 'kernel log', 'status': kernel_log[0],
                 'reason': kernel_log[1], 'duration': None}]))
        return subprocess.run(['bash', os.path.join(TOP, 'scripts', 'stress.sh'),
                               '--summarize'],
                              env=dict(os.environ, BUILD=self.dir),
                              capture_output=True, text=True, timeout=60)

    def test_pass(self):
        p = self.summarize(('pass', ''))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('stress: PASS', p.stdout)

    def test_guest_failure_fails(self):
        p = self.summarize(('fail', 'kernel log: WARNING: CPU: 0 at x'))
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('stress: FAIL: guest: fail kernel log', p.stdout)


if __name__ == '__main__':
    unittest.main()
