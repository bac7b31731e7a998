"""The checks that scripts/check.sh runs are the ones README.md lists under
"`make check` runs, in order", in the same order: each is named by its
script (scripts/NAME.sh or .py) or by tests/harness, so a check added to
one and not the other fails here."""
import os
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, '..', '..')
NAME = re.compile(r'\b(scripts/[A-Za-z0-9_.-]+\.(?:sh|py)|tests/harness)\b')


def first_seen(text):
    """The harness scripts TEXT names, each once, in order; only files that
    exist (scripts/checkpatch.pl and the like are the kernel's)."""
    out = []
    for name in NAME.findall(text):
        if name not in out and os.path.exists(os.path.join(TOP, name)):
            out.append(name)
    return out


def readme_list():
    with open(os.path.join(TOP, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    start = text.index('`make check` runs, in order:')
    end = text.index('Each of these counts as one check', start)
    return first_seen(text[start:end])


def check_sh_list():
    with open(os.path.join(TOP, 'scripts', 'check.sh'), encoding='utf-8') as f:
        lines = [line for line in f if not line.lstrip().startswith('#')]
    return first_seen(''.join(lines).replace('$TOP/', ''))


class ReadmeMatchesCheck(unittest.TestCase):
    def test_same_checks_in_the_same_order(self):
        self.assertEqual(readme_list(), check_sh_list())

    def test_the_lists_are_not_empty(self):
        got = check_sh_list()
        for name in ('tests/harness', 'scripts/uffd-syscalls.sh',
                     'scripts/boot.sh', 'scripts/hung-check.sh'):
            self.assertIn(name, got)


if __name__ == '__main__':
    unittest.main()
