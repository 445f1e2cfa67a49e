/** The TAP counter behind `npm test`'s "N passed, N failed, N skipped": TAP as tap 21 prints it with --reporter=tap. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTap } from '../tap-count.mjs';

const lines = (...l: string[]) => l.join('\n') + '\n';

/** One top-level file block the way tap wraps a test file. */
const file = (n: number, name: string, body: string[], close = 'ok') =>
  [`# Subtest: ${name}`, ...body.map((l) => (l === '' ? '' : `    ${l}`)), `${close} ${n} - ${name} # time=12.3ms`, ''];

const GREEN_FILE = file(1, 'test/a.test.ts', [
  '# Subtest: vectors',
  '    ok 1 - should be equal',
  '    ok 2 - should be equal',
  '    # Subtest: nested deeper',
  '        ok 1 - inner',
  '        1..1',
  '    ok 3 - nested deeper # time=1ms',
  '    ',
  '    1..3',
  'ok 1 - vectors # time=13.004ms',
  '',
  'ok 2 - top-level assertion',
  '1..2',
  '# time=62.338ms',
]);

t.test('leaf points are counted, subtest summaries are not', async (t) => {
  const r = countTap(lines('TAP version 14', '1..1', ...GREEN_FILE, '# { total: 4, pass: 4 }'));
  t.same(r, { passed: 4, failed: 0, skipped: 0, problems: [], files: [{ name: 'test/a.test.ts', passed: 4, failed: 0, skipped: 0 }] });
});

t.test('a subtest without its comment line is still a subtest', async (t) => {
  const r = countTap(lines(...file(1, 'test/a.test.ts', ['    ok 1 - inner', '    ok 2 - inner', '    1..2', 'ok 1 - unnamed', '1..1'])));
  t.equal(r.passed, 2);
  t.equal(r.failed, 0);
});

t.test('not ok counts as failed; its YAML block is not read as test points', async (t) => {
  const r = countTap(
    lines(
      ...file(
        1,
        'test/b.test.ts',
        [
          '# Subtest: fails',
          '    not ok 1 - should be equal',
          '      ---',
          '      compare: ===',
          '      source: |2',
          '        ok 1 - a line of source that looks like TAP',
          '            not ok 2 - so does this one',
          '        # Subtest: and this',
          '      ...',
          '    ',
          '    ok 2 - still fine',
          '    1..2',
          'not ok 1 - fails # time=27.176ms',
          '  ---',
          '  at:',
          '    ok 3 - inside the summary YAML',
          '  ...',
          '',
          '1..1',
        ],
        'not ok',
      ),
      '  ---',
      '  exitCode: 1',
      '  ...',
    ),
  );
  t.equal(r.passed, 1);
  t.equal(r.failed, 1);
  t.same(r.problems, ['test/b.test.ts: not ok: should be equal']);
  t.same(r.files, [{ name: 'test/b.test.ts', passed: 1, failed: 1, skipped: 0 }]);
});

t.test('SKIP and TODO points count as skipped only with an allowed opt-in reason', async (t) => {
  const body = [
    'ok 1 - 2 GiB round trip # SKIP set DEW_TEST_LARGE=1 to run the 2 GiB round trip',
    'not ok 2 - a known gap # TODO set DEW_TEST_SLOW=1 to run it',
    'ok 3 - quietly off # SKIP',
    'ok 4 - not written yet # TODO',
    '# Subtest: nested',
    '    ok 1 - no sqld here # SKIP sqld not installed',
    '    ok 2 - fine',
    '    1..2',
    'ok 5 - nested # time=3ms',
    'ok 6 - a whole subtest skipped # skip set DEW_TEST_LARGE=1 to run',
    '1..6',
  ];
  const r = countTap(lines(...file(1, 'test/c.test.ts', body)));
  t.equal(r.passed, 1);
  t.equal(r.skipped, 3, 'the DEW_TEST_* opt-ins, TODO included');
  t.equal(r.failed, 3, 'every other skip or todo fails the run');
  t.same(r.problems, [
    'test/c.test.ts: unexpected SKIP: quietly off',
    'test/c.test.ts: unexpected TODO: not written yet',
    'test/c.test.ts: unexpected SKIP (sqld not installed): no sqld here',
  ]);
  const custom = countTap(lines(...file(1, 'test/c.test.ts', body)), { allowedSkips: [/^sqld not installed$/] });
  t.equal(custom.skipped, 1);
  t.equal(custom.failed, 5);
});

t.test('a file with no test points is a failure, whatever tap says of it', async (t) => {
  const r = countTap(
    lines(
      'TAP version 14',
      '1..4',
      '# Subtest: test/empty.test.ts',
      '    1..0 # no tests found',
      'ok 1 - test/empty.test.ts # SKIP no tests found',
      '',
      '# Subtest: test/planned-none.test.ts',
      '    1..0 # no sqld',
      '    # time=21.505ms',
      'ok 2 - test/planned-none.test.ts # SKIP no sqld',
      '',
      '# Subtest: test/opt-in.test.ts',
      '    1..0 # set DEW_TEST_LARGE=1 to run it',
      'ok 3 - test/opt-in.test.ts # SKIP set DEW_TEST_LARGE=1 to run it',
      '',
      '# Subtest: test/only-empty-subtests.test.ts',
      '    # Subtest: asserts nothing',
      '        1..0',
      '    ok 1 - asserts nothing # time=0.5ms',
      '    1..1',
      'ok 4 - test/only-empty-subtests.test.ts # time=3ms',
    ),
  );
  t.equal(r.passed, 0);
  t.equal(r.skipped, 1, 'a whole file skipped by an allowed opt-in is one skip');
  t.equal(r.failed, 3);
  t.same(r.problems, [
    'test/empty.test.ts: the file registers no tests (no tests found)',
    'test/planned-none.test.ts: the file registers no tests (no sqld)',
    'test/only-empty-subtests.test.ts: the file registers no tests',
  ]);
  t.same(
    r.files.map((f) => [f.name, f.failed, f.skipped]),
    [
      ['test/empty.test.ts', 1, 0],
      ['test/planned-none.test.ts', 1, 0],
      ['test/opt-in.test.ts', 0, 1],
      ['test/only-empty-subtests.test.ts', 1, 0],
    ],
  );
});

t.test('a file or subtest that fails outside its assertions counts as one failure', async (t) => {
  const r = countTap(
    lines(
      '# Subtest: test/crash.test.ts',
      '    1..0 # no tests found',
      'not ok 1 - test/crash.test.ts # time=4230.8ms',
      '  ---',
      '  exitCode: 1',
      '  ...',
      '',
      '# Subtest: test/exit-code.test.ts',
      '    ok 1 - fine',
      '    1..1',
      'not ok 2 - test/exit-code.test.ts # time=20ms',
      '',
      '# Subtest: test/timeout.test.ts',
      '    # Subtest: hangs',
      '        ok 1 - should be equal',
      '        not ok 2 - timeout!',
      '          ---',
      '          expired: hangs',
      '          ...',
      '        1..2',
      '    not ok 1 - hangs # time=567ms',
      '    1..1',
      'not ok 3 - test/timeout.test.ts # time=5060ms',
    ),
  );
  t.equal(r.passed, 2);
  t.equal(r.failed, 3, 'the crash, the exit code, the timeout (its summaries are not counted again)');
  t.same(r.problems, [
    'test/crash.test.ts: test/crash.test.ts failed with no test points (a crash before any test?)',
    'test/exit-code.test.ts: test/exit-code.test.ts failed outside its test points',
    'test/timeout.test.ts: not ok: timeout!',
  ]);
});

t.test('points of parallel files are attributed to their own file', async (t) => {
  const two = file(2, 'test/d.test.ts', ['not ok 1 - broken', 'ok 2 - fine # SKIP set DEW_TEST_X=1 to run', '1..2'], 'not ok');
  const r = countTap(lines('TAP version 14', '1..2', ...GREEN_FILE, ...two));
  t.same(r.files, [
    { name: 'test/a.test.ts', passed: 4, failed: 0, skipped: 0 },
    { name: 'test/d.test.ts', passed: 0, failed: 1, skipped: 1 },
  ]);
  t.same([r.passed, r.failed, r.skipped], [4, 1, 1]);
});

t.test('no output at all counts nothing (the runner fails a run with nothing passed)', async (t) => {
  t.same(countTap(''), { passed: 0, failed: 0, skipped: 0, problems: [], files: [] });
});

t.test('the counter reads a real tap run (fixtures/*.fixture.ts, run by a nested tap)', async (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // The nested tap must not take itself for a child of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^_?TAP/i.test(k)));
  const files = ['passes', 'empty', 'skips'].map((f) => `test/runner/fixtures/${f}.fixture.ts`);
  const run = spawnSync(join(root, 'node_modules', '.bin', 'tap'), ['--reporter=tap', '--disable-coverage', '--jobs=2', ...files], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  t.equal(run.status, 1, 'tap itself fails the run (a failing assertion)');
  const r = countTap(run.stdout);
  // Files run in parallel and are printed as each finishes: compare by name.
  const byName = new Map(r.files.map((f) => [f.name, f]));
  t.same([...byName.keys()].sort(), [...files].sort(), 'one record per file');
  t.same(byName.get(files[0]), { name: files[0], passed: 3, failed: 0, skipped: 0 });
  t.same(byName.get(files[1]), { name: files[1], passed: 0, failed: 1, skipped: 0 });
  t.same(byName.get(files[2]), { name: files[2], passed: 1, failed: 3, skipped: 1 });
  t.same([r.passed, r.failed, r.skipped], [4, 4, 1]);
  t.same([...r.problems].sort(), [
    `${files[1]}: the file registers no tests (no tests found)`,
    `${files[2]}: not ok: should be equal`,
    `${files[2]}: unexpected SKIP: quietly off`,
    `${files[2]}: unexpected TODO (not written): later`,
  ]);
});
