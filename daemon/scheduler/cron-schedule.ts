/** Runs the lifecycle jobs on a cron expression (the `cron` package); ticks never overlap. */
import { CronJob, validateCronExpression } from 'cron';

/** Every five minutes: due items wait at most that long (`--schedule` changes it). */
export const DEFAULT_SCHEDULE = '*/5 * * * *';

/** Checks a cron expression (5 fields, or 6 with seconds); returns why it is invalid, or undefined. */
export function scheduleProblem(expr: string): string | undefined {
  if (typeof expr !== 'string' || expr.trim() === '') return 'a cron expression is required, e.g. "*/5 * * * *"';
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `"${expr}" has ${fields} fields; a cron expression has 5 (minute hour day month weekday) or 6 (with seconds first)`;
  const r = validateCronExpression(expr);
  return r.valid ? undefined : `"${expr}" is not a valid cron expression: ${r.error?.message ?? 'unknown error'}`;
}

export class CronSchedule {
  private readonly job: CronJob;
  private inFlight: Promise<unknown> | undefined;

  constructor(
    expr: string,
    private readonly tick: () => Promise<unknown>,
    private readonly log: (line: string) => void,
  ) {
    const problem = scheduleProblem(expr);
    if (problem) throw new TypeError(`expr: ${problem}`);
    this.job = CronJob.from({ cronTime: expr, onTick: () => this.onTick(), start: false });
  }

  private onTick(): void {
    if (this.inFlight) return; // the previous run is still going: this tick's work is in it
    this.inFlight = this.tick()
      .catch((err) => this.log(JSON.stringify({ level: 'error', msg: 'scheduled jobs failed', error: (err as Error).message })))
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  start(): void {
    this.job.start();
  }

  /** Stops ticking and waits for a run in progress. */
  async stop(): Promise<void> {
    await this.job.stop();
    await this.inFlight;
  }
}
