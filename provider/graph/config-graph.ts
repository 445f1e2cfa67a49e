/** Builds the dependency graph of a configuration (resources, locals, outputs) from references and depends_on; cycles become diagnostics. */
import { error, type Diagnostic } from '../config/diagnostics.js';
import { attributeReferences } from '../config/decode.js';
import type { Attribute, Config } from '../config/model.js';
import { Dag } from './dag.js';

/** The graph node a reference points at: `local.x`, `TYPE.NAME`; variables have no dependencies and are not nodes. */
function nodeOf(root: string, steps: (string | number)[], config: Config): string | undefined {
  if (root === 'local' && typeof steps[0] === 'string') return config.locals.has(steps[0]) ? `local.${steps[0]}` : undefined;
  if (typeof steps[0] === 'string' && config.resources.has(`${root}.${steps[0]}`)) return `${root}.${steps[0]}`;
  return undefined;
}

export function buildConfigGraph(config: Config): { dag: Dag; diagnostics: Diagnostic[] } {
  const dag = new Dag();
  const edgesFrom = (node: string, attrs: Iterable<Attribute | undefined>): void => {
    dag.addNode(node);
    for (const a of attrs) {
      if (!a) continue;
      for (const r of attributeReferences(a)) {
        const to = nodeOf(r.root, r.steps, config);
        if (to) dag.addEdge(node, to);
      }
    }
  };
  for (const r of config.resources.values()) {
    edgesFrom(r.address, [...r.attributes.values(), r.count, r.forEach]);
    for (const d of r.dependsOn) if (config.resources.has(d.address)) dag.addEdge(r.address, d.address);
  }
  for (const l of config.locals.values()) edgesFrom(`local.${l.name}`, [l.attribute]);
  for (const o of config.outputs.values()) {
    edgesFrom(`output.${o.name}`, [o.value]);
    for (const d of o.dependsOn) if (config.resources.has(d.address)) dag.addEdge(`output.${o.name}`, d.address);
  }
  const diagnostics = dag.cycles().map((cycle) => {
    const first = cycle[0];
    const range = first.startsWith('local.')
      ? config.locals.get(first.slice(6))?.attribute.range
      : first.startsWith('output.')
        ? config.outputs.get(first.slice(7))?.range
        : config.resources.get(first)?.range;
    return error('Cycle', `These objects depend on each other: ${cycle.join(', ')}.`, range, 'Remove one of the references or depends_on entries so the dependencies form no loop.');
  });
  return { dag, diagnostics };
}
