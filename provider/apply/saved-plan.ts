/** Saved plan files (-out): the plan, its variables and config sources (sealed where sensitive), and the stack serial/lineage and object revisions it read. */
import { readFile, writeFile } from 'node:fs/promises';
import { SAVED_PLAN_MARKER } from '../config/load.js';
import type { StackSnapshot } from '../state/stack-state.js';
import type { Plan } from '../plan/change.js';
import { sealPlan } from './seal-plan.js';

export const SAVED_PLAN_VERSION = 1;

export interface SavedPlan {
  [SAVED_PLAN_MARKER]: number;
  created_at: string;
  /** The config folder the plan was made from (relative paths in resources resolve against it). */
  config_dir: string;
  /** The configuration source texts, so apply evaluates exactly what was planned (absent: source_digests). */
  sources?: Record<string, string>;
  /** A plan holding sensitive values keeps only each file's digest: apply reads the folder and checks them. */
  source_digests?: Record<string, string>;
  /** Sensitive variables by digest: apply takes them from the environment or flags again and checks them. */
  sealed_variables?: Record<string, string>;
  plan: Plan;
}

/** The saved plan of `plan` made from `configDir`, sensitive values sealed (seal-plan.ts). */
export function savedPlanOf(plan: Plan, configDir: string, sources: ReadonlyMap<string, string>, createdAt: string): SavedPlan {
  return { [SAVED_PLAN_MARKER]: SAVED_PLAN_VERSION, created_at: createdAt, config_dir: configDir, ...sealPlan(plan, sources) };
}

export async function writeSavedPlan(path: string, saved: SavedPlan): Promise<void> {
  // Non-sensitive variable values and attribute values are kept in cleartext (as Terraform's plan files):
  // readable by the owner only. Sensitive variables, sensitive outputs and digested values are sealed.
  await writeFile(path, JSON.stringify(saved, null, 1) + '\n', { mode: 0o600 });
}

export async function readSavedPlan(path: string): Promise<SavedPlan> {
  const text = await readFile(path, 'utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not a dew saved plan (not JSON)`);
  }
  const b = body as Partial<SavedPlan>;
  if (typeof b !== 'object' || b === null || b[SAVED_PLAN_MARKER] === undefined || !b.plan || !(b.sources || b.source_digests)) throw new Error(`${path} is not a dew saved plan`);
  if (b[SAVED_PLAN_MARKER] !== SAVED_PLAN_VERSION) throw new Error(`${path} was written by an incompatible dew (saved plan version ${b[SAVED_PLAN_MARKER]})`);
  return b as SavedPlan;
}

export type Staleness = { stale: false } | { stale: true; summary: string; detail: string };

/** Stricter than Terraform on purpose: any moved serial or object revision makes the plan stale. */
export function checkStaleness(plan: Plan, now: StackSnapshot): Staleness {
  if (now.name !== plan.stack) return { stale: true, summary: 'Saved plan does not match the given state', detail: `The plan is for stack "${plan.stack}", not "${now.name}".` };
  const fresh = plan.lineage === '' && plan.serial === 0;
  if (!fresh && now.lineage !== plan.lineage)
    return { stale: true, summary: 'Saved plan does not match the given state', detail: 'The given plan file was created from a different stack lineage.' };
  if (now.serial !== plan.serial)
    return { stale: true, summary: 'Saved plan is stale', detail: `The given plan file can no longer be applied because the stack was changed by another operation after the plan was created (serial ${plan.serial} → ${now.serial}).` };
  const moved: string[] = [];
  const seen = new Set<string>();
  for (const o of now.objects) {
    seen.add(o.address);
    if (plan.revisions[o.address] !== o.revision) moved.push(o.address);
  }
  for (const a of Object.keys(plan.revisions)) if (!seen.has(a)) moved.push(a);
  if (moved.length)
    return { stale: true, summary: 'Saved plan is stale', detail: `These objects changed in the daemon after the plan was created: ${moved.sort().join(', ')}. Run dew plan again and review the new plan.` };
  return { stale: false };
}
