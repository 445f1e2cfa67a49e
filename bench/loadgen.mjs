// The benchmarks' load generator: wrk (C, from Debian's packages, one thread) when it is installed,
// autocannon (in this process) otherwise or with BENCH_LOADGEN=autocannon. A lighter generator
// leaves the daemon more of the machine; the tables say which one ran. `cpu` samples give the
// share of a core each named process used during the steady part of a run (bench/workers.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export const useWrk = process.env.BENCH_LOADGEN !== 'autocannon' && spawnSync('wrk', ['--version']).error === undefined;
export const loadgenName = useWrk ? 'wrk (1 thread)' : 'autocannon (in the bench process)';

const round3 = (x) => Math.round(x * 1000) / 1000;
const ms = (text) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
};
let luaFiles = 0;

/** CPU seconds (user + system) a process has used so far; undefined once it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100 on Linux)
  } catch {
    return undefined;
  }
}

/** The child pids of `pid` (a cluster primary's workers). */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * One run of `seconds` at `connections`. `watch`: named pids whose CPU use is sampled from 25% to
 * 90% of the run (the steady part); the load generator's own process is added as `loadgen`.
 * Resolves to { requests: { average }, latency: { p50, p99 }, non2xx, errors, cpu?: { name: cores } }.
 */
export function runLoad(url, request, connections, seconds, watch) {
  return useWrk ? runWrk(url, request, connections, seconds, watch) : runAutocannon(url, request, connections, seconds, watch);
}

function sampler(seconds, pids) {
  if (!pids) return { done: () => undefined };
  let first;
  let last;
  const read = () => Object.fromEntries(Object.entries(pids()).map(([name, pid]) => [name, name === 'loadgen' && pid === process.pid ? process.cpuUsage() : cpuSeconds(pid)]));
  const t1 = setTimeout(() => (first = { at: performance.now(), cpu: read() }), seconds * 250);
  const t2 = setTimeout(() => (last = { at: performance.now(), cpu: read() }), seconds * 900);
  return {
    done() {
      clearTimeout(t1);
      clearTimeout(t2);
      if (!first || !last) return undefined;
      const wall = (last.at - first.at) / 1000;
      const used = (a, b) => (typeof a === 'object' ? (b.user + b.system - a.user - a.system) / 1e6 : b - a);
      return Object.fromEntries(Object.keys(last.cpu).filter((k) => first.cpu[k] !== undefined && last.cpu[k] !== undefined).map((k) => [k, round3(used(first.cpu[k], last.cpu[k]) / wall)]));
    },
  };
}

function runWrk(url, request, connections, seconds, watch) {
  const lua = join(tmpdir(), `dew-bench-${process.pid}-${++luaFiles}.lua`);
  writeFileSync(
    lua,
    [`wrk.method = ${JSON.stringify(request.method)}`, request.body ? `wrk.body = ${JSON.stringify(request.body)}` : '',
      ...Object.entries(request.headers ?? {}).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)].join('\n'),
  );
  return new Promise((resolve) => {
    const w = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', lua, url + request.path], { stdio: ['ignore', 'pipe', 'ignore'] });
    const cpu = sampler(seconds, watch && (() => ({ ...watch(), loadgen: w.pid })));
    let out = '';
    w.stdout.on('data', (c) => (out += c));
    w.once('close', (status) => {
      rmSync(lua, { force: true });
      const num = (re) => Number(re.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        requests: { average: num(/Requests\/sec:\s+([\d.]+)/) },
        latency: { p50: round3(ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '')), p99: round3(ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '')) },
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        errors: sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : status === 0 ? 0 : 1,
        cpu: cpu.done(),
      });
    });
  });
}

function runAutocannon(url, request, connections, seconds, watch) {
  const cpu = sampler(seconds, watch && (() => ({ ...watch(), loadgen: process.pid })));
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1, requests: [request] }, (err, result) =>
      err ? reject(err) : resolve({ ...result, cpu: cpu.done() }),
    );
  });
}
