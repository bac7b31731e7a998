"""Tests of scripts/warnings.sh on a small fake kernel tree.

The fake tree is a git repository with a tag `base` and a Makefile that
answers the three kbuild calls warnings.sh makes: `W=1 DIR/FILE.s` runs
gcc -Wall -Wextra on FILE.c from the objects' folder, naming the source
relative to it as kbuild does, `C=2 CHECK=sparse FILE.o` prints FILE.sparse
(standing in for sparse's report), and `olddefconfig` does nothing. A
fake `sparse` on PATH answers --version.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WARN = os.path.join(HERE, '..', '..', 'scripts', 'warnings.sh')

MAKEFILE = r'''O ?= .
Makefile: ;
%.s: FORCE
	@mkdir -p $(O)/$(dir $@)
	@cd $(O) && gcc -Wall -Wextra -S -o $@ $(shell realpath --relative-to=$(O) $(CURDIR))/$*.c
%.o: FORCE
	@test "$(C)" = 2 && ! test -f $*.sparse || sed 's|^|$(CURDIR)/|' $*.sparse >&2
olddefconfig:
	@true
FORCE:
.PHONY: FORCE
'''

# One unused variable at base.
BASE_C = '''int f(void)
{
	int unused;
	return 0;
}
'''
# The same warning three lines lower.
MOVED_C = '''/* A comment
 * that moves
 * the code. */
int f(void)
{
	int unused;
	return 0;
}
'''
# The old warning and a new one.
NEW_C = MOVED_C + '''int g(int a)
{
	int unused_too;
	return a;
}
'''


class Warnings(unittest.TestCase):
    def setUp(self):
        if not shutil.which('gcc') or not shutil.which('git'):
            self.skipTest('needs gcc and git')
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.src = os.path.join(self.dir, 'linux')
        self.obj = os.path.join(self.dir, 'obj', 'k')
        bin_ = os.path.join(self.dir, 'bin')
        for d in (os.path.join(self.src, 'mm'), os.path.join(self.obj, 'mm'),
                  bin_):
            os.makedirs(d)
        with open(os.path.join(bin_, 'sparse'), 'w') as f:
            f.write('#!/bin/sh\necho fake sparse 0.0\n')
        os.chmod(os.path.join(bin_, 'sparse'), 0o755)
        self.write('Makefile', MAKEFILE)
        self.write('mm/a.c', BASE_C)
        self.write('mm/untouched.c', BASE_C)
        with open(os.path.join(self.obj, '.config'), 'w') as f:
            f.write('CONFIG_FAKE=y\n')
        self.git('init', '-q')
        self.git('add', '.')
        self.git('commit', '-q', '-m', 'base')
        self.git('tag', 'base')
        self.env = dict(os.environ, PATH=bin_ + ':' + os.environ['PATH'],
                        BUILD=self.dir, WARN_SRC=self.src, WARN_OBJ=self.obj,
                        GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t')

    def write(self, path, text):
        with open(os.path.join(self.src, path), 'w') as f:
            f.write(text)
        obj = os.path.join(self.obj, path[:-2] + '.o')
        if path.endswith('.c') and not os.path.exists(obj):
            open(obj, 'w').close()

    def git(self, *args):
        subprocess.run(['git', '-C', self.src, '-c', 'user.name=t',
                        '-c', 'user.email=t@t'] + list(args), check=True)

    def run_warnings(self):
        p = subprocess.run(['bash', WARN, 'k', 'base'], env=self.env,
                           capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr

    def test_warning_the_base_has_does_not_count(self):
        self.write('mm/a.c', MOVED_C)
        rc, out = self.run_warnings()
        self.assertEqual(rc, 0, out)
        self.assertIn('1 that the same files already give at base not counted',
                      out)

    def test_new_warning_fails(self):
        self.write('mm/a.c', NEW_C)
        rc, out = self.run_warnings()
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r"error: W=1/sparse: 1 new warning.*"
                              r"mm/a\.c:11:13: warning: unused variable "
                              r".unused_too.")

    def test_new_file_warns(self):
        self.write('mm/b.c', BASE_C)
        self.git('add', 'mm/b.c')
        self.git('commit', '-q', '-m', 'b')
        rc, out = self.run_warnings()
        self.assertNotEqual(rc, 0, out)
        self.assertIn('mm/b.c:3:13: warning: unused variable', out)

    def test_sparse_counts_in_touched_files_only(self):
        self.write('mm/a.c', MOVED_C)
        self.write('mm/a.sparse',
                   'mm/a.c:6:13: warning: context imbalance\n'
                   'include/not_touched.h:1:1: warning: elsewhere\n')
        rc, out = self.run_warnings()
        self.assertNotEqual(rc, 0, out)
        self.assertIn('1 new warning', out)
        self.assertIn('mm/a.c:6:13: warning: context imbalance', out)
        self.assertNotIn('elsewhere', out)

    def test_base_result_is_kept(self):
        self.write('mm/a.c', MOVED_C)
        rc, out = self.run_warnings()
        self.assertEqual(rc, 0, out)
        kept = [n for n in os.listdir(self.obj + '-base')
                if n.startswith('warnings-')]
        self.assertEqual(len(kept), 1, kept)
        rc, out = self.run_warnings()
        self.assertEqual(rc, 0, out)


if __name__ == '__main__':
    unittest.main()
