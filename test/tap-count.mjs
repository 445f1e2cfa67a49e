// Counts the TAP 14 stream of `tap --reporter=tap` for test/run.mjs. tap wraps each test file in
// one top-level subtest named after the file ("# Subtest: test/auth/x.test.ts" … "ok 1 -
// test/auth/x.test.ts") and prints each file's block whole even with parallel jobs, so every
// point can be attributed to its file. Subtests nest by four spaces; a point that closes a
// subtest is a summary, not an assertion.
//
// Skips: a SKIP or TODO point is counted as skipped only when its reason matches ALLOWED_SKIPS,
// the reasons that depend on the environment on purpose (an opt-in such as DEW_TEST_LARGE=1 for a
// test too slow for the shared machine). Any other skip or todo counts as failed: a test that
// quietly stops running must not turn the suite green. A file with no test points at all (tap
// reports it as "# SKIP no tests found", or a plan of 0) counts as one failure.

/** Skip/todo reasons that are allowed: "set DEW_TEST_<NAME>=1 to run …" (an explicit opt-in). */
export const ALLOWED_SKIPS = [/^set DEW_TEST_[A-Z0-9_]+=1 to run\b/];

const POINT = /^(not ok|ok)\b\s*(?:\d+)?\s*(?:-\s*)?(.*)$/;
const DIRECTIVE = /(?:^|\s)#\s*(SKIP|TODO)\S*(?:\s+(.*?))?\s*$/i;

function newFrame(indent, name) {
  return { indent, name, passed: 0, failed: 0, skipped: 0, points: 0 };
}

function merge(into, from) {
  into.passed += from.passed;
  into.failed += from.failed;
  into.skipped += from.skipped;
  into.points += from.points;
}

/**
 * @param {string} text TAP 14 output of a tap run
 * @param {{ allowedSkips?: RegExp[] }} [options]
 * @returns {{ passed: number, failed: number, skipped: number, problems: string[],
 *   files: { name: string, passed: number, failed: number, skipped: number }[] }}
 */
export function countTap(text, { allowedSkips = ALLOWED_SKIPS } = {}) {
  const root = newFrame(-4, '');
  const stack = [root];
  const problems = [];
  const files = [];
  let yamlIndent = -1;
  let afterPoint = false;

  const top = () => stack[stack.length - 1];
  const fileName = () => (stack.length > 1 ? stack[1].name : '(top level)');
  const popTo = (indent) => {
    while (stack.length > 1 && top().indent >= indent) {
      const f = stack.pop();
      merge(top(), f);
      if (stack.length === 1) files.push(fileRecord(f));
    }
  };
  const fileRecord = (f) => ({ name: f.name, passed: f.passed, failed: f.failed, skipped: f.skipped });
  const fail = (frame, message, file = fileName()) => {
    frame.failed++;
    problems.push(`${file}: ${message}`);
  };
  /** A SKIP or TODO point (or a skipped subtest with nothing inside) as one skipped or failed point. */
  const skipPoint = (frame, kind, reason, desc, file = fileName()) => {
    frame.points++;
    if (allowedSkips.some((re) => re.test(reason))) frame.skipped++;
    else fail(frame, `unexpected ${kind.toUpperCase()}${reason ? ` (${reason})` : ''}: ${desc || 'unnamed'}`, file);
  };

  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    if (yamlIndent >= 0) {
      if (indent === yamlIndent && trimmed === '...') yamlIndent = -1;
      continue;
    }
    if (trimmed === '') continue;
    if (afterPoint && trimmed === '---') {
      yamlIndent = indent;
      afterPoint = false;
      continue;
    }
    afterPoint = false;

    const sub = /^# Subtest(?::\s*(.*))?$/.exec(trimmed);
    if (sub) {
      popTo(indent);
      stack.push(newFrame(indent, sub[1] ?? ''));
      continue;
    }
    const point = POINT.exec(trimmed);
    const isPlan = /^\d+\.\.\d+/.test(trimmed);
    if (!point && !isPlan) continue; // comments and stray output
    // A point or plan deeper than the current subtest's body: a subtest without "# Subtest".
    if (indent > top().indent + 4) stack.push(newFrame(indent - 4, ''));
    if (!point) continue;

    afterPoint = true;
    const ok = point[1] === 'ok';
    const rest = point[2];
    const directive = DIRECTIVE.exec(rest);
    const kind = directive?.[1].toLowerCase();
    const reason = directive?.[2] ?? '';
    const desc = (directive ? rest.slice(0, directive.index) : rest).replace(/\s+#\s*time=\S+$/, '').trim();

    popTo(indent + 1);
    if (stack.length > 1 && top().indent === indent) {
      // The point closes this subtest: a summary of what is inside.
      const file = fileName();
      const frame = stack.pop();
      const parent = top();
      const isFile = stack.length === 1;
      const allowed = kind && allowedSkips.some((re) => re.test(reason));
      if (frame.points === 0) {
        if (allowed || (kind && !isFile)) skipPoint(frame, kind, reason, desc || frame.name, file);
        else if (!ok) fail(frame, `${desc || frame.name} failed with no test points (a crash before any test?)`, file);
        else if (isFile) fail(frame, `the file registers no tests${reason ? ` (${reason})` : ''}`, file);
      } else if (!ok && kind !== 'todo' && frame.failed === 0) {
        // Timeouts, a crash after the last assertion, a plan mismatch, a non-zero exit.
        fail(frame, `${desc || frame.name} failed outside its test points`, file);
      }
      merge(parent, frame);
      if (stack.length === 1) files.push(fileRecord(frame));
      continue;
    }
    const frame = top();
    if (kind) skipPoint(frame, kind, reason, desc);
    else {
      frame.points++;
      if (ok) frame.passed++;
      else fail(frame, `not ok: ${desc || 'unnamed'}`);
    }
  }
  popTo(-3);
  return { passed: root.passed, failed: root.failed, skipped: root.skipped, problems, files };
}
