"""Tests of scripts/boot.sh with a fake qemu-system-x86_64 first on PATH.

The fake reads the boot's serial files and kernel command line from its
arguments and then, as FAKE_QEMU says: exits 1, hangs, writes a clean TAP
with or without the boot's nonce, or writes a hung-task report on the
console and hangs. Each run gets a build folder of its own (BUILD).
Waits for an event are bounded generously (the tests run beside a kernel
build on two cores); a bound only tells a slow run from a broken one.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, '..', '..')
BOOT = os.path.join(TOP, 'scripts', 'boot.sh')

FAKE = r'''#!/usr/bin/env python3
import os, re, sys, time
args = sys.argv[1:]
files = [a[5:] for a in args if a.startswith('file:')]
append = args[args.index('-append') + 1]
m = re.search(r'uffd\.nonce=(\S+)', append)
nonce = m.group(1) if m else ''
d = os.environ['FAKE_DIR']
with open(os.path.join(d, 'pid'), 'w') as f:
    f.write(str(os.getpid()))
mode = os.environ['FAKE_QEMU']
tap = 'TAP version 13\n' + ('# nonce %s\n' % nonce if mode == 'good' else '') + \
      '1..1\nok 1 t/one\n# done\n'
if mode in ('good', 'no-nonce'):
    for f in files:
        with open(f, 'w') as out:
            out.write(tap)
    sys.exit(0)
if mode == 'exit1':
    sys.stderr.write('qemu-system-x86_64: fake failure\n')
    sys.exit(1)
if mode == 'hung-task':
    with open(files[1], 'w') as out:
        out.write('TAP version 13\n# nonce %s\n1..1\n# run t/one: one\n' % nonce)
    with open(files[0], 'w') as out:
        out.write('[    1.0] Run /init as init process\n# run t/one: one\n'
                  '[  245.1] INFO: task one:97 blocked for more than 122 seconds.\n')
time.sleep(3600)
'''


class Boot(unittest.TestCase):
    def setUp(self):
        for tool in ('busybox', 'cpio', 'gzip', 'timeout'):
            if not shutil.which(tool):
                self.skipTest('no ' + tool)
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.bin = os.path.join(self.dir, 'bin')
        os.mkdir(self.bin)
        fake = os.path.join(self.bin, 'qemu-system-x86_64')
        with open(fake, 'w') as f:
            f.write(FAKE)
        os.chmod(fake, 0o755)
        self.kernel = os.path.join(self.dir, 'bzImage')
        with open(self.kernel, 'w') as f:
            f.write('not a kernel\n')
        self.list = os.path.join(self.dir, 'list')
        with open(self.list, 'w') as f:
            f.write('t/one\t1\tone\n')
        self.logs = os.path.join(self.dir, 'build', 'logs')
        self.addCleanup(self.kill_fake)

    def kill_fake(self):
        pid = self.fake_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def fake_pid(self):
        try:
            with open(os.path.join(self.dir, 'pid')) as f:
                return int(f.read())
        except (FileNotFoundError, ValueError):
            return None

    def env(self, mode, **extra):
        return dict(os.environ, PATH=self.bin + ':' + os.environ['PATH'],
                    BUILD=os.path.join(self.dir, 'build'), FAKE_QEMU=mode,
                    FAKE_DIR=self.dir, BOOT_ALLOWANCE='4', SPLAT_GRACE='1',
                    **extra)

    def gone(self, pid):
        """Whether process PID has exited; a zombie counts as gone."""
        try:
            with open('/proc/%d/stat' % pid) as f:
                return re.match(r'\d+ \(.*\) Z', f.read()) is not None
        except FileNotFoundError:
            return True

    def load(self):
        """Busy loops on twice as many processes as CPUs, until cleanup."""
        for _ in range(2 * (os.cpu_count() or 1)):
            q = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
            self.addCleanup(q.wait)
            self.addCleanup(q.kill)

    def boot(self, mode, timeout=300):
        p = subprocess.run(['bash', BOOT, 'b', self.kernel, self.list],
                           env=self.env(mode), capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout

    def test_good_tap_with_nonce_passes(self):
        rc, out = self.boot('good')
        self.assertEqual(rc, 0, out)
        self.assertIn('2 passed, 0 failed', out)

    def test_stale_results_do_not_pass(self):
        # A clean pass left by an earlier boot, then QEMU fails at once.
        rc, out = self.boot('good')
        self.assertEqual(rc, 0, out)
        rc, out = self.boot('exit1')
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r'not ok \d+ host # qemu exited with 1')
        self.assertIn('not ok 1 t/one', out)
        with open(os.path.join(self.logs, 'b.status')) as f:
            self.assertEqual(len(f.read().splitlines()), 1)

    def test_tap_without_nonce_fails(self):
        rc, out = self.boot('no-nonce')
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r'not ok 1 t/one # .*nonce')

    def test_hang_times_out(self):
        t0 = time.time()
        rc, out = self.boot('hang')
        self.assertNotEqual(rc, 0, out)
        self.assertIn('timeout after 5s', out)
        self.assertLess(time.time() - t0, 120)

    def test_splat_ends_the_boot(self):
        # A hung task on the console ends the boot long before its limit.
        with open(self.list, 'w') as f:
            f.write('t/one\t600\tone\n')
        t0 = time.time()
        rc, out = self.boot('hung-task')
        self.assertNotEqual(rc, 0, out)
        self.assertLess(time.time() - t0, 300)
        self.assertRegex(out, r'not ok 1 t/one # no result: the host ended '
                              r'the boot on a kernel splat: .*blocked for more than')

    def start_hanging_boot(self, int_ignored=False):
        """A boot in its own session whose fake QEMU hangs; returns the
        boot's Popen once QEMU runs. With INT_IGNORED, the boot starts with
        SIGINT ignored, as a background job of a script does (`nohup make
        check &`)."""
        with open(self.list, 'w') as f:
            f.write('t/one\t600\tone\n')
        ignore = None
        if int_ignored:
            ignore = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)
        p = subprocess.Popen(['bash', BOOT, 'b', self.kernel, self.list],
                             env=self.env('hang'), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True,
                             preexec_fn=ignore)
        self.addCleanup(self.kill_boot, p)
        deadline = time.time() + 120
        while self.fake_pid() is None and time.time() < deadline:
            time.sleep(0.1)
        self.assertIsNotNone(self.fake_pid(), 'the fake QEMU did not start')
        return p

    def kill_boot(self, p):
        """Cleanup: kill a boot that still runs (kill_fake ends its QEMU)."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()

    def ctrl_c(self, p):
        """A terminal's Ctrl-C: SIGINT to the foreground process group; the
        boot must end and leave no QEMU behind."""
        pid = self.fake_pid()
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.fail('the boot still runs 60 s after Ctrl-C')
        self.assertEqual(p.returncode, 130)
        self.assertTrue(self.gone(pid), 'QEMU outlived the boot')

    def second_boot_refuses(self, int_ignored):
        # A boot that runs (its QEMU hangs), then a second one of the same
        # name: it stops at once, naming the first, and leaves its files.
        p = self.start_hanging_boot(int_ignored)
        console = os.path.join(self.logs, 'b.console')
        open(console, 'a').close()
        t0 = time.time()
        q = subprocess.run(['bash', BOOT, 'b', self.kernel, self.list],
                           env=self.env('good'), capture_output=True,
                           text=True, timeout=300)
        self.assertNotEqual(q.returncode, 0, q.stdout)
        self.assertLess(time.time() - t0, 60)
        self.assertRegex(q.stderr, r"another 'boot-b' is running in .*"
                                   r"\(pid \d+, since ")
        self.assertTrue(os.path.exists(console), 'the first boot lost its console')
        self.assertIsNone(p.poll(), 'the first boot ended')
        self.ctrl_c(p)

    def test_second_boot_of_the_same_name_refuses(self):
        self.second_boot_refuses(int_ignored=False)

    def test_second_boot_refuses_when_started_with_int_ignored(self):
        self.second_boot_refuses(int_ignored=True)

    def test_ctrl_c_stops_qemu(self):
        self.ctrl_c(self.start_hanging_boot())

    def test_ctrl_c_stops_qemu_when_started_with_int_ignored(self):
        self.ctrl_c(self.start_hanging_boot(int_ignored=True))

    def test_ctrl_c_stops_qemu_under_load(self):
        # A background make check beside a kernel build: every CPU busy,
        # and the boot started with SIGINT ignored.
        self.load()
        self.ctrl_c(self.start_hanging_boot(int_ignored=True))


if __name__ == '__main__':
    unittest.main()
