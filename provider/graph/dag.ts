/** A directed graph of named nodes where an edge a→b means "a depends on b"; cycles (Tarjan) and a topological order. */

export class Dag {
  private readonly deps = new Map<string, Set<string>>();

  addNode(id: string): void {
    if (!this.deps.has(id)) this.deps.set(id, new Set());
  }

  /** `from` depends on `to` (to runs first). */
  addEdge(from: string, to: string): void {
    this.addNode(from);
    this.addNode(to);
    this.deps.get(from)!.add(to);
  }

  has(id: string): boolean {
    return this.deps.has(id);
  }

  nodes(): string[] {
    return [...this.deps.keys()];
  }

  dependencies(id: string): string[] {
    return [...(this.deps.get(id) ?? [])];
  }

  /** The nodes that depend on each node. */
  dependents(): Map<string, string[]> {
    const out = new Map<string, string[]>([...this.deps.keys()].map((k) => [k, []]));
    for (const [from, tos] of this.deps) for (const to of tos) out.get(to)!.push(from);
    return out;
  }

  /** Every node `id` depends on, directly or not. */
  ancestors(id: string): Set<string> {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) {
      for (const d of this.deps.get(stack.pop()!) ?? []) if (!seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
    return seen;
  }

  /** The same graph with every edge turned around (destroy ordering). */
  reversed(): Dag {
    const r = new Dag();
    for (const [from, tos] of this.deps) {
      r.addNode(from);
      for (const to of tos) r.addEdge(to, from);
    }
    return r;
  }

  /** Strongly connected components with more than one node, or a node depending on itself: each is a cycle. */
  cycles(): string[][] {
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const out: string[][] = [];
    const strong = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of this.deps.get(v)!) {
        if (!idx.has(w)) {
          strong(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || this.deps.get(v)!.has(v)) out.push(comp.sort());
      }
    };
    for (const v of [...this.deps.keys()].sort()) if (!idx.has(v)) strong(v);
    return out;
  }

  /** Dependencies first; ties broken by name so the order is stable. Nodes on cycles are left out. */
  topologicalOrder(): string[] {
    const remaining = new Map([...this.deps].map(([k, v]) => [k, new Set(v)]));
    const dependents = this.dependents();
    const ready = [...remaining].filter(([, v]) => v.size === 0).map(([k]) => k).sort();
    const out: string[] = [];
    while (ready.length) {
      const n = ready.shift()!;
      out.push(n);
      const next: string[] = [];
      for (const d of dependents.get(n) ?? []) {
        const s = remaining.get(d)!;
        s.delete(n);
        if (s.size === 0) next.push(d);
      }
      ready.push(...next.sort());
    }
    return out;
  }
}
