"""Tests of scripts/boot.sh with a fake qemu-system-x86_64 first on PATH.

The fake reads the boot's serial files and kernel command line from its
arguments and then, as FAKE_QEMU says: exits 1, hangs, writes a clean TAP
with or without the boot's nonce, or writes a hung-task report on the
console and hangs. Each run gets a build folder of its own (BUILD).
"""
import os
import re
import shutil
import signal
import subprocess
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

    def boot(self, mode, timeout=60):
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
        self.assertLess(time.time() - t0, 30)

    def test_splat_ends_the_boot(self):
        # A hung task on the console ends the boot long before its limit.
        with open(self.list, 'w') as f:
            f.write('t/one\t600\tone\n')
        t0 = time.time()
        rc, out = self.boot('hung-task')
        self.assertNotEqual(rc, 0, out)
        self.assertLess(time.time() - t0, 60)
        self.assertRegex(out, r'not ok 1 t/one # no result: the host ended '
                              r'the boot on a kernel splat: .*blocked for more than')

    def start_hanging_boot(self):
        """A boot in its own session whose fake QEMU hangs; returns the
        boot's Popen once QEMU runs."""
        with open(self.list, 'w') as f:
            f.write('t/one\t600\tone\n')
        p = subprocess.Popen(['bash', BOOT, 'b', self.kernel, self.list],
                             env=self.env('hang'), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while self.fake_pid() is None and time.time() < deadline:
            time.sleep(0.1)
        self.assertIsNotNone(self.fake_pid(), 'the fake QEMU did not start')
        return p

    def test_second_boot_of_the_same_name_refuses(self):
        # A boot that runs (its QEMU hangs), then a second one of the same
        # name: it stops at once, naming the first, and leaves its files.
        p = self.start_hanging_boot()
        self.addCleanup(p.wait, 10)
        self.addCleanup(os.killpg, p.pid, signal.SIGINT)
        console = os.path.join(self.logs, 'b.console')
        open(console, 'a').close()
        t0 = time.time()
        q = subprocess.run(['bash', BOOT, 'b', self.kernel, self.list],
                           env=self.env('good'), capture_output=True,
                           text=True, timeout=30)
        self.assertNotEqual(q.returncode, 0, q.stdout)
        self.assertLess(time.time() - t0, 10)
        self.assertRegex(q.stderr, r"another 'boot-b' is running in .*"
                                   r"\(pid \d+, since ")
        self.assertTrue(os.path.exists(console), 'the first boot lost its console')
        self.assertIsNone(p.poll(), 'the first boot ended')

    def test_ctrl_c_stops_qemu(self):
        p = self.start_hanging_boot()
        pid = self.fake_pid()
        # A terminal's Ctrl-C: SIGINT to the foreground process group.
        t0 = time.time()
        os.killpg(p.pid, signal.SIGINT)
        gone = False
        while time.time() - t0 < 5:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                gone = True
                break
            # A zombie of an exited child counts as gone.
            with open('/proc/%d/stat' % pid) as f:
                if re.match(r'\d+ \(.*\) Z', f.read()):
                    gone = True
                    break
            time.sleep(0.1)
        p.wait(timeout=10)
        self.assertTrue(gone, 'QEMU still runs 5 s after Ctrl-C')


if __name__ == '__main__':
    unittest.main()
