"""Tests of make profile's parts on made-up data: scripts/profile.py sums
the counts of each translation block into the function that holds its
address, takes the smaller boot from the bigger one and divides by the
operations, and orders the functions by how much the kernels differ; the
plugin, bench/tbcount.c, builds as a QEMU plugin."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, '..', '..')
PROFILE = os.path.join(TOP, 'scripts', 'profile.py')

SYMS = """ffffffff81000000 T alpha
ffffffff81000100 t beta
ffffffff81000200 D some_data
ffffffff81000300 T gamma
"""


class Profile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def run_profile(self, *runs, per=10):
        args = [sys.executable, PROFILE, '--per', str(per)]
        args += ['%s=%s:%s:%s' % r for r in runs]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
        return out.stdout.splitlines()

    def row(self, lines, name):
        for line in lines:
            if line.split()[0] == name:
                return [float(v) for v in line.split()[1:]]
        self.fail('no row %s in %r' % (name, lines))

    def test_difference_per_operation(self):
        syms = self.write('k.syms', SYMS)
        # alpha: two blocks; beta: one; gamma: one; user space (one row).
        big = self.write('big', 'ffffffff81000000 300\nffffffff81000080 100\n'
                         'ffffffff81000100 50\nffffffff81000310 1000\n'
                         '400000 700\n')
        small = self.write('small', 'ffffffff81000000 100\n'
                           'ffffffff81000100 30\nffffffff81000310 1000\n'
                           '400000 200\n')
        lines = self.run_profile(('ref', syms, big, small),
                                 ('ours', syms, small, small))
        self.assertEqual(self.row(lines, 'alpha'), [30.0, 0.0, -30.0])
        self.assertEqual(self.row(lines, 'beta'), [2.0, 0.0, -2.0])
        self.assertEqual(self.row(lines, '[user]'), [50.0, 0.0, -50.0])
        self.assertEqual(self.row(lines, 'TOTAL'), [82.0, 0.0, -82.0])
        # gamma ran as often in both boots: it costs nothing per operation.
        self.assertFalse([l for l in lines if l.startswith('gamma')])
        # The largest difference first.
        names = [l.split()[0] for l in lines[2:]]
        self.assertEqual(names, ['[user]', 'alpha', 'beta'])

    def test_plugin_builds(self):
        if not shutil.which('gcc'):
            self.skipTest('no gcc')
        so = os.path.join(self.dir, 'tbcount.so')
        subprocess.run(['gcc', '-O2', '-Wall', '-Werror', '-shared', '-fPIC',
                        '-o', so, os.path.join(TOP, 'bench', 'tbcount.c')],
                       check=True)
        nm = subprocess.run(['nm', '-D', '--defined-only', so],
                            capture_output=True, text=True, check=True).stdout
        self.assertIn('qemu_plugin_install', nm)
        self.assertIn('qemu_plugin_version', nm)


if __name__ == '__main__':
    unittest.main()
