/** What the plan/apply commands need from the outside world: a daemon API and the stack store over it. */
import { HttpStackStore } from '../state/http-stack-store.js';
import { StackLockedError, type StackStore } from '../state/stack-state.js';
import type { DewApi } from '../resources/api.js';
import { connect } from './connect.js';
import { CliError, type CommandContext } from './context.js';

export interface Session {
  api: DewApi;
  store: StackStore;
}

export interface CommandDeps {
  openSession(ctx: CommandContext, credentialsFile?: string): Session;
}

/** Client errors (DewApiError, DewNetworkError) become CliErrors so the CLI prints code, message and hint. */
export function toCliError(e: unknown): unknown {
  if (e instanceof CliError || e instanceof StackLockedError || !(e instanceof Error)) return e;
  const { code, hint } = e as { code?: unknown; hint?: unknown };
  if (e.name !== 'DewApiError' && e.name !== 'DewNetworkError') return e;
  return new CliError(typeof code === 'string' ? code : 'daemon', e.message, { hint: typeof hint === 'string' ? hint : undefined, cause: e });
}

function guarded<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, p, r) {
      const v = Reflect.get(t, p, r) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => (v as (...a: unknown[]) => Promise<unknown>).apply(t, args).catch((e: unknown) => Promise.reject(toCliError(e)));
    },
  });
}

/** Production wiring: credentials and the signed HTTP client (the one place that reaches provider/client/). */
export const defaultDeps: CommandDeps = {
  openSession(ctx, credentialsFile) {
    const { client } = connect(ctx, credentialsFile);
    const raw = client as unknown as DewApi;
    return { api: guarded(raw), store: guarded(new HttpStackStore(raw)) };
  },
};
