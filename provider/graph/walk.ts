/** Walks a DAG running each node once its dependencies succeeded, at most `parallelism` at a time; a failure skips its dependents. */
import type { Dag } from './dag.js';

export type NodeOutcome = { status: 'ok' } | { status: 'failed'; error: unknown } | { status: 'skipped'; because: string };

export interface WalkOptions {
  /** Default 10, as Terraform's -parallelism. */
  parallelism?: number;
  /** Called when a node finishes, in completion order. */
  onDone?: (id: string, outcome: NodeOutcome) => void;
  /** True once the walk must start nothing new (an interrupt): running nodes finish, the rest are skipped. */
  stop?: () => boolean;
}

/** The `because` of nodes a stopped walk never started. */
export const STOPPED = 'an interrupt';

export async function walkDag(dag: Dag, run: (id: string) => Promise<void>, opts: WalkOptions = {}): Promise<Map<string, NodeOutcome>> {
  const parallelism = opts.parallelism ?? 10;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
  const results = new Map<string, NodeOutcome>();
  const pending = new Map(dag.nodes().map((n) => [n, new Set(dag.dependencies(n))]));
  const dependents = dag.dependents();
  const ready: string[] = [];
  let running = 0;

  const finish = (id: string, outcome: NodeOutcome): void => {
    results.set(id, outcome);
    pending.delete(id);
    opts.onDone?.(id, outcome);
    for (const d of dependents.get(id) ?? []) {
      if (results.has(d)) continue;
      if (outcome.status !== 'ok') {
        finish(d, { status: 'skipped', because: outcome.status === 'skipped' ? outcome.because : id });
        continue;
      }
      const s = pending.get(d);
      if (!s) continue;
      s.delete(id);
      if (s.size === 0) ready.push(d);
    }
  };

  for (const [n, deps] of [...pending].sort(([a], [b]) => (a < b ? -1 : 1))) if (deps.size === 0) ready.push(n);

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      const stopped = opts.stop?.() === true;
      while (!stopped && running < parallelism && ready.length) {
        const id = ready.shift()!;
        if (results.has(id)) continue;
        running++;
        run(id).then(
          () => finish(id, { status: 'ok' }),
          (error: unknown) => finish(id, { status: 'failed', error }),
        ).finally(() => {
          running--;
          pump();
        });
      }
      if (running === 0 && (stopped || ready.length === 0)) {
        // anything left waits on a cycle (or was never started after an interrupt): report it rather than hang
        for (const id of [...pending.keys()]) if (!results.has(id)) finish(id, { status: 'skipped', because: stopped ? STOPPED : 'a dependency cycle' });
        resolve();
      }
    };
    pump();
  });
  return results;
}
