/**
 * Follows the change-event log so each daemon's caches see changes other daemons made:
 * polled on an interval (and on demand after a lost race), dispatched by object kind.
 */
import type { KeyRepo } from '../store/key-repo.js';

export type ReloadHandler = (objectIds: string[]) => Promise<void>;

export class ChangeFeed {
  private seq = 0;
  private readonly handlers = new Map<string, ReloadHandler>();
  private running: Promise<number> | undefined;
  private opened = false;

  constructor(private readonly repo: KeyRepo) {}

  /** Registers the one handler of `kind`; a second one is refused (it would silently replace the first). */
  on(kind: string, handler: ReloadHandler): void {
    if (this.handlers.has(kind)) throw new Error(`change feed: a handler for kind '${kind}' is already registered; combine them into one`);
    this.handlers.set(kind, handler);
  }

  /** Starts following from the current end of the log (call before loading the caches). */
  async start(): Promise<void> {
    this.seq = await this.repo.lastChangeSeq();
  }

  /**
   * Starts dispatching, once every handler is registered (the service modules declare theirs).
   * Until then sync() reads nothing, so no change is consumed before its handler exists; the
   * caches loaded after start() are re-applied from the log, which is harmless.
   */
  open(): void {
    this.opened = true;
  }

  /** Applies every change since the last sync; concurrent callers share one run. */
  sync(): Promise<number> {
    if (!this.opened) return Promise.resolve(0);
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /**
   * Applies every change committed before the call: a run already going may have read the log
   * before that, so this one waits for it and runs again (another worker's write barrier).
   */
  syncFresh(): Promise<number> {
    const running = this.running;
    return running ? running.then(() => this.sync(), () => this.sync()) : this.sync();
  }

  private async run(): Promise<number> {
    let applied = 0;
    for (;;) {
      const events = await this.repo.changesSince(this.seq);
      if (events.length === 0) return applied;
      const byKind = new Map<string, Set<string>>();
      for (const e of events) {
        let s = byKind.get(e.kind);
        if (!s) byKind.set(e.kind, (s = new Set()));
        s.add(e.objectId);
      }
      for (const [kind, ids] of byKind) await this.handlers.get(kind)?.([...ids]);
      this.seq = events[events.length - 1].seq;
      applied += events.length;
    }
  }
}
