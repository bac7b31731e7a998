"""Tests of scripts/build-tests.sh: a test program is built again when a
header it includes changes or when the flags it was built with differ, and
only then; a selftest is built from the other sources that its line of the
selftest Makefile names too, and built again when one of them, or a header
that one of them includes, changes; a build folder without obj/ gets its
headers installed all the same. A small fake tree (BUILD) holds the
program, its header and an installed-headers stamp; TEST_GROUPS holds its
one-line group."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_TESTS = os.path.join(HERE, '..', '..', 'scripts', 'build-tests.sh')

PROGRAM = '''#include "probe-common.h"
int main(void) { return PROBE_EXIT; }
'''


class FakeTree(unittest.TestCase):
    def setUp(self):
        if not shutil.which('gcc'):
            self.skipTest('needs gcc')
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        tree = os.path.join(self.dir, 'linux')
        self.vm = os.path.join(tree, 'tools', 'testing', 'selftests', 'vm')
        for d in (self.vm, os.path.join(tree, 'include', 'uapi'),
                  os.path.join(tree, 'arch', 'x86', 'include', 'uapi'),
                  os.path.join(self.dir, 'obj', 'headers', 'usr', 'include'),
                  os.path.join(self.dir, 'groups')):
            os.makedirs(d)
        self.write(os.path.join(self.vm, 'mmd-probe.c'), PROGRAM)
        self.header = os.path.join(self.vm, 'probe-common.h')
        self.write(self.header, '#define PROBE_EXIT 0\n')
        self.write(os.path.join(self.dir, 'groups', 'g.list'),
                   'probe\t10\tmmd-probe\n')
        # The installed headers are newer than the tree's uapi folders.
        self.write(os.path.join(self.dir, 'obj', 'headers', 'stamp'), '')
        self.out = os.path.join(self.dir, 'out')
        self.bin = os.path.join(self.out, 'bin', 'mmd-probe')
        self.env = dict(os.environ, BUILD=self.dir, HARNESS_NEEDS=' ',
                        TEST_GROUPS=os.path.join(self.dir, 'groups'))

    def write(self, path, text):
        with open(path, 'w') as f:
            f.write(text)

    def build(self):
        """Build the group; True when the program was (re)built."""
        before = os.stat(self.bin).st_mtime if os.path.exists(self.bin) else None
        p = subprocess.run(['bash', BUILD_TESTS, self.out, 'g'], env=self.env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return before is None or os.stat(self.bin).st_mtime != before

    def age(self):
        """Make it all look an hour old: the tree, then the installed
        headers' stamp, then the program built after them."""
        t = time.time() - 3600
        for root, dirs, files in os.walk(os.path.join(self.dir, 'linux')):
            for n in dirs + files:
                os.utime(os.path.join(root, n), (t - 120, t - 120))
        stamp = os.path.join(self.dir, 'obj', 'headers', 'stamp')
        os.utime(stamp, (t - 60, t - 60))
        os.utime(self.bin, (t, t))


class Rebuild(FakeTree):

    def test_up_to_date_is_kept(self):
        self.assertTrue(self.build())
        self.age()
        self.assertFalse(self.build())

    def test_header_change_rebuilds(self):
        self.assertTrue(self.build())
        self.age()
        self.write(self.header, '#define PROBE_EXIT 3\n')
        self.assertTrue(self.build())
        self.assertEqual(subprocess.run([self.bin]).returncode, 3)

    def test_flag_change_rebuilds(self):
        self.assertTrue(self.build())
        self.age()
        flags = os.path.join(self.out, 'logs', 'mmd-probe.d.flags')
        with open(flags, 'a') as f:
            f.write(' -DBUILT_WITH_OTHER_FLAGS\n')
        self.assertTrue(self.build())


class MakefileSources(FakeTree):
    """A line "$(OUTPUT)/WORD: a.c" of the selftest Makefile, as kselftest
    has for vm_util.c, gives WORD a second source."""
    def setUp(self):
        super().setUp()
        self.write(os.path.join(self.vm, 'mmd-probe.c'),
                   'int probe_extra(void);\n'
                   'int main(void) { return probe_extra(); }\n')
        self.extra = os.path.join(self.vm, 'probe-extra.c')
        self.write(self.extra, '#include "probe-extra.h"\n'
                   'int probe_extra(void) { return EXTRA_EXIT; }\n')
        self.extra_header = os.path.join(self.vm, 'probe-extra.h')
        self.write(self.extra_header, '#define EXTRA_EXIT 5\n')
        self.write(os.path.join(self.vm, 'Makefile'),
                   '$(OUTPUT)/mmd-probe: LDLIBS += -lm\n'
                   '$(OUTPUT)/other $(OUTPUT)/mmd-probe: \\\n'
                   '\tprobe-extra.c\n'
                   '$(OUTPUT)/other: other.c\n')

    def exit_code(self):
        return subprocess.run([self.bin]).returncode

    def test_built_from_both_sources(self):
        self.assertTrue(self.build())
        self.assertEqual(self.exit_code(), 5)
        self.age()
        self.assertFalse(self.build())

    def test_second_source_change_rebuilds(self):
        self.assertTrue(self.build())
        self.age()
        self.write(self.extra, '#include "probe-extra.h"\n'
                   'int probe_extra(void) { return EXTRA_EXIT + 1; }\n')
        self.assertTrue(self.build())
        self.assertEqual(self.exit_code(), 6)

    def test_header_of_second_source_rebuilds(self):
        self.assertTrue(self.build())
        self.age()
        self.write(self.extra_header, '#define EXTRA_EXIT 7\n')
        self.assertTrue(self.build())
        self.assertEqual(self.exit_code(), 7)


class Placeholders(FakeTree):
    """build-tests.sh fills a list's @NAME@ words from its NAME=VALUE
    arguments, and only there; a placeholder without a value stops it."""
    def run_build(self, *args):
        self.write(os.path.join(self.dir, 'groups', 'g.list'),
                   'probe\t@TMO@\tmmd-probe -s @SEED@ @SIZE@ @UFFD@\n')
        return subprocess.run(['bash', BUILD_TESTS, self.out] + list(args) +
                              ['g'], env=self.env, capture_output=True,
                              text=True, timeout=120)

    def test_values_fill_the_list(self):
        p = self.run_build('TMO=42', 'SEED=7', 'SIZE=@SIZE@')
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.out, 'list')) as f:
            self.assertEqual(f.read(),
                             'g/probe\t42\tmmd-probe -s 7 @SIZE@ absent\n')

    def test_a_placeholder_without_value_stops(self):
        p = self.run_build('TMO=42', 'SIZE=@SIZE@')
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('placeholder @SEED@ has no value', p.stderr)


class FreshBuildDir(FakeTree):
    """A build folder without obj/ (a fresh clone whose first step is
    building the tests): the headers are installed into it all the same,
    and a failure names a log that exists."""
    def test_headers_log_is_written(self):
        shutil.rmtree(os.path.join(self.dir, 'obj'))
        p = subprocess.run(['bash', BUILD_TESTS, self.out, 'g'], env=self.env,
                           capture_output=True, text=True, timeout=120)
        # The fake tree has no Makefile: headers_install fails, and says so.
        self.assertNotEqual(p.returncode, 0)
        log = os.path.join(self.dir, 'obj', 'headers.log')
        self.assertIn('see ' + log, p.stderr)
        self.assertTrue(os.path.exists(log), p.stderr)


if __name__ == '__main__':
    unittest.main()
