/**
 * How long the primary waits before it restarts a worker that died: at once-ish the first time,
 * doubling while the worker keeps dying soon after its start (a crash loop does not spin), back to
 * the first delay once a worker has lived a while.
 */

/** The delay before the first restart (ms). */
export const FIRST_RESTART_MS = 200;
/** The longest delay between restarts (ms). */
export const MAX_RESTART_MS = 30_000;
/** A worker that lived this long (ms) died of something else than its start: its next restart is quick again. */
export const STABLE_AFTER_MS = 30_000;

export interface SlotHistory {
  /** Deaths in a row, each within STABLE_AFTER_MS of its start. */
  quickDeaths: number;
}

/** The slot's history after a death `livedMs` after its start, and the delay before the restart. */
export function nextRestart(history: SlotHistory, livedMs: number): { history: SlotHistory; delayMs: number } {
  const quickDeaths = livedMs >= STABLE_AFTER_MS ? 1 : history.quickDeaths + 1;
  const delayMs = Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** (quickDeaths - 1));
  return { history: { quickDeaths }, delayMs };
}
