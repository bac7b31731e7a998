"""Tests of need_all (scripts/lib.sh): a user without root gets one
apt-get line that names every missing package."""
import os
import shutil
import subprocess
import tempfile
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
                           timeout=30)
        self.assertNotEqual(p.returncode, 0)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].endswith(
            'sudo apt-get install -y pkg-a pkg-b pkg-c'), lines[0])
        self.assertIn('Debian 12', lines[0])


if __name__ == '__main__':
    unittest.main()
