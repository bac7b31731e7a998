"""Tests of scripts/bench-report.py on made-up TAP logs: the wall-clock mode
flags a metric only when the kernels' [min, max] ranges do not overlap, the
deterministic modes (det, det-noerms) count guest instructions, and the
report names the configuration symbols that differ."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, '..', '..', 'scripts', 'bench-report.py')


def tap(figures, cpu='erms fsrm rep_good'):
    lines = ['TAP version 13', '# cpu copy flags: ' + cpu, '1..1']
    lines += ['# BENCH %s %s %s' % f for f in figures]
    return '\n'.join(lines + ['ok 1 bench/x', '# done']) + '\n'


class BenchReport(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.mkdir(os.path.join(self.dir, 'raw'))

    def raw(self, name, text):
        with open(os.path.join(self.dir, 'raw', name + '.tap'), 'w') as f:
            f.write(text)

    def config(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def report(self):
        ref = self.config('ref.config', 'CONFIG_A=y\nCONFIG_PTE_MARKER=y\n')
        ours = self.config('ours.config', 'CONFIG_A=y\n')
        subprocess.run([sys.executable, REPORT, '--out', self.dir,
                        '--ref-config', ref, '--ours-config', ours],
                       capture_output=True, text=True, timeout=60)
        with open(os.path.join(self.dir, 'report.json')) as f:
            rep = json.load(f)
        with open(os.path.join(self.dir, 'report.md')) as f:
            return rep, f.read()

    def wall(self, ref, ours):
        for i, (a, b) in enumerate(zip(ref, ours), 1):
            self.raw('wall-ref-%d' % i, tap([('lat', a, 'ns')]))
            self.raw('wall-ours-%d' % i, tap([('lat', b, 'ns')]))

    def row(self, rep, mode, metric):
        return [r for r in rep['modes'][mode]['metrics']
                if r['metric'] == metric][0]

    def test_overlapping_ranges_are_not_flagged(self):
        # Median 10% worse, but one slow upstream round overlaps ours.
        self.wall([100, 100, 100, 100, 130], [110, 110, 110, 110, 110])
        rep, md = self.report()
        r = self.row(rep, 'wall', 'lat')
        self.assertAlmostEqual(r['ratio'], 1.1)
        self.assertEqual(r['ranges'], 'overlap')
        self.assertFalse(r['worse'])

    def test_disjoint_worse_ranges_are_flagged(self):
        self.wall([100, 101, 102, 100, 101], [110, 111, 112, 110, 111])
        rep, md = self.report()
        r = self.row(rep, 'wall', 'lat')
        self.assertEqual(r['ranges'], 'worse')
        self.assertTrue(r['worse'])
        self.assertIn('wall-clock mode: lat ratio 1.099', md)

    def test_deterministic_modes_count_instructions(self):
        for mode, cpu in (('det', 'erms fsrm rep_good'),
                          ('det-noerms', 'rep_good')):
            self.raw(mode + '-ref-1', tap([('rt', 1000, 'ns'),
                                           ('tp', 5, 'faults/s')], cpu))
            self.raw(mode + '-ours-1', tap([('rt', 900, 'ns'),
                                            ('tp', 6, 'faults/s')], cpu))
        rep, md = self.report()
        for mode in ('det', 'det-noerms'):
            self.assertEqual(self.row(rep, mode, 'rt')['shown_unit'],
                             'guest instr')
            self.assertEqual(self.row(rep, mode, 'tp')['shown_unit'],
                             'faults per 10⁹ guest instr')
        self.assertIn('`-cpu max,erms=off,fsrm=off`', md)
        self.assertIn('upstream: `rep_good`', md)
        self.assertIn('guest instruction counts', md)

    def test_config_difference_is_named(self):
        self.wall([100], [100])
        rep, md = self.report()
        self.assertEqual(rep['config_diff'], [['CONFIG_PTE_MARKER', 'y', 'n']])
        self.assertIn('`CONFIG_PTE_MARKER` y → n', md)
        self.assertIn('pte markers', md)


if __name__ == '__main__':
    unittest.main()
