/**
 * Replacing an HSM instance that holds keys, judged before apply (issue 14, FAQ 4.8): its specification
 * cannot change in place, and a new instance cannot take over the old one's keys (their root key cannot
 * move), so such a replacement is refused, naming the keys. Pure: what the instances hold comes from the
 * daemon (commands/hsm-replacement.ts).
 */
import { error, type Diagnostic, type SourceRange } from '../config/diagnostics.js';
import type { HeldKey } from '../resources/hsm-api.js';
import { describeKeys } from '../resources/hsm-api.js';
import type { Plan } from './change.js';

export interface InstanceReplacement {
  address: string;
  hsmId: string;
  /** The attributes forcing it (specification), from the plan's replacePaths. */
  forcedBy: string[];
  from: string;
  to: string;
}

/** The dew_hsm_instance changes of a plan that delete an existing instance to create another. */
export function instanceReplacements(plan: Plan): InstanceReplacement[] {
  return plan.changes
    .filter((c) => c.type === 'dew_hsm_instance' && c.change.action === 'delete-then-create' && c.objectId)
    .map((c) => {
      const before = (c.change.before ?? {}) as Record<string, unknown>;
      const after = (c.change.after ?? {}) as Record<string, unknown>;
      return { address: c.address, hsmId: c.objectId!, forcedBy: c.change.replacePaths.map((p) => String(p[0])), from: String(before.specification ?? ''), to: String(after.specification ?? '(known after apply)') };
    });
}

/** The error for a replacement of an instance that holds `count` keys (`keys`: those list-keys names). */
export function heldKeysDiagnostic(r: InstanceReplacement, count: number, keys: readonly HeldKey[], range?: SourceRange): Diagnostic {
  const why = r.forcedBy.includes('specification') ? `its specification changes from "${r.from}" to "${r.to}", which needs a new instance` : 'the plan replaces it (-replace)';
  const n = `${count} key${count === 1 ? '' : 's'}`;
  return error(
    'HSM instance holds keys: it cannot be replaced',
    `${r.address} (${r.hsmId}) holds ${n}${keys.length ? `: ${describeKeys(keys)}` : ''}. ${why[0].toUpperCase()}${why.slice(1)}, and a new instance cannot take the old one's keys over (their root key cannot move), so they would be lost.`,
    range,
    `Keep specification = "${r.from}" and create a second dew_hsm_instance for the new specification; move what the keys protect to keys in its keystore, then destroy the old keys and, once they are deleted, the old instance.`,
  );
}
