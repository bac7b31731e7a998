"""Tests of need_all (scripts/lib.sh): a user without root gets one
apt-get line that names every missing package; and of apt_install, which
waits for the dpkg lock that another apt-get holds."""
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, '..', '..', 'scripts', 'lib.sh')

NEEDS = '''
command no-such-tool-a pkg-a
command sh dash
file /no/such/file pkg-b
command no-such-tool-c pkg-c
'''


class NeedAll(unittest.TestCase):
    def test_one_line_for_every_missing_package(self):
        if os.getuid() != 0 or not shutil.which('setpriv'):
            self.skipTest('needs root and setpriv to act as another user')
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o777)
        # A copy the other user can read wherever the checkout lies.
        for sub in ('scripts', 'base'):
            os.mkdir(os.path.join(d, sub))
        lib = os.path.join(d, 'scripts', 'lib.sh')
        shutil.copy(LIB, lib)
        shutil.copy(os.path.join(HERE, '..', '..', 'base', 'VERSION'),
                    os.path.join(d, 'base', 'VERSION'))
        for root, dirs, files in os.walk(d):
            for n in dirs + files:
                os.chmod(os.path.join(root, n), 0o755)
        env = dict(os.environ, HARNESS_NEEDS=NEEDS, BUILD=os.path.join(d, 'b'))
        p = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534',
                            '--clear-groups', 'bash', '-c',
                            '. "$0"; need_all', lib],
                           env=env, cwd=d, capture_output=True, text=True,
                           timeout=300)
        self.assertNotEqual(p.returncode, 0)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].endswith(
            'sudo apt-get install -y pkg-a pkg-b pkg-c'), lines[0])
        self.assertIn('Debian 12', lines[0])


# A fake apt-get: it records its arguments, and its install takes the lock
# as apt-get does: waiting up to -o DPkg::Lock::Timeout=N seconds, or not
# at all without it. It leaves FAKE_APT_LOG.busy once it found the lock held.
FAKE_APT = r'''#!/usr/bin/env python3
import fcntl, json, os, re, sys, time
args = sys.argv[1:]
with open(os.environ['FAKE_APT_LOG'], 'a') as f:
    f.write(json.dumps(args) + '\n')
if 'install' not in args:
    sys.exit(0)
m = re.search(r'DPkg::Lock::Timeout=(\d+)', ' '.join(args))
deadline = time.time() + (int(m.group(1)) if m else 0)
with open(os.environ['DPKG_LOCK_FILE'], 'w') as lock:
    while True:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            open(os.environ['FAKE_APT_LOG'] + '.busy', 'w').close()
            if time.time() >= deadline:
                print('E: Could not get lock', file=sys.stderr)
                sys.exit(100)
            time.sleep(0.1)
'''


class AptInstall(unittest.TestCase):
    def setUp(self):
        if os.getuid() != 0:
            self.skipTest('apt_install needs root')
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        bindir = os.path.join(self.dir, 'bin')
        os.mkdir(bindir)
        # On PATH too, so a lib.sh that ignores APT_GET runs no real apt-get.
        self.apt = os.path.join(bindir, 'apt-get')
        with open(self.apt, 'w') as f:
            f.write(FAKE_APT)
        os.chmod(self.apt, 0o755)
        self.lock = os.path.join(self.dir, 'lock-frontend')
        open(self.lock, 'w').close()
        self.log = os.path.join(self.dir, 'apt-args')
        self.env = dict(os.environ, PATH=bindir + ':' + os.environ['PATH'],
                        APT_GET=self.apt, DPKG_LOCK_FILE=self.lock,
                        APT_LOCK_TIMEOUT='60', FAKE_APT_LOG=self.log,
                        BUILD=os.path.join(self.dir, 'build'))
        os.mkdir(self.env['BUILD'])

    def apt_install(self):
        p = subprocess.run(['bash', '-c', '. "$0"; apt_install why pkg-x', LIB],
                           env=self.env, capture_output=True, text=True,
                           timeout=300)
        calls = []
        if os.path.exists(self.log):
            with open(self.log) as f:
                calls = [json.loads(line) for line in f]
        return p, calls

    def assert_lock_timeout(self, calls):
        for args in calls:
            self.assertIn('DPkg::Lock::Timeout=60', args)
            i = args.index('DPkg::Lock::Timeout=60')
            self.assertEqual(args[i - 1], '-o', args)
        install = calls[0][calls[0].index('install'):]
        self.assertEqual(install[:2], ['install', '-y'], install)
        self.assertEqual(install[-1], 'pkg-x', install)

    def test_waits_for_the_dpkg_lock(self):
        # This process holds the lock (with fcntl, as apt-get and dpkg do)
        # until the fake apt-get found it held, however slow the machine.
        lock = open(self.lock, 'w')
        self.addCleanup(lock.close)
        fcntl.lockf(lock, fcntl.LOCK_EX)
        done = threading.Event()

        def release():
            while not os.path.exists(self.log + '.busy') and not done.wait(0.05):
                pass
            fcntl.lockf(lock, fcntl.LOCK_UN)
        t = threading.Thread(target=release)
        t.start()
        self.addCleanup(t.join)
        self.addCleanup(done.set)
        p, calls = self.apt_install()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r'waiting for the dpkg lock .*held by '
                                   r'pid %d .*up to 60s' % os.getpid())
        self.assertTrue(calls, 'apt-get did not run')
        self.assert_lock_timeout(calls)

    def test_says_nothing_of_a_free_lock(self):
        p, calls = self.apt_install()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('waiting', p.stderr)
        self.assertEqual(len(calls), 1, calls)
        self.assert_lock_timeout(calls)


if __name__ == '__main__':
    unittest.main()
