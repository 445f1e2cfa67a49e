/**
 * A per-source limit on the unauthenticated seal calls (init, unseal): a token bucket per address,
 * kept for at most `maxSources` addresses (the least recently seen is dropped first), so a flood of
 * addresses costs bounded memory. Clock injected.
 */
export interface SourceLimiterOptions {
  /** Calls a source may make at once (the bucket's size). */
  burst: number;
  /** Calls per minute refilled. */
  perMinute: number;
  maxSources: number;
  now: () => number;
}

export class SourceLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly o: SourceLimiterOptions) {
    if (!(o.burst >= 1 && o.perMinute > 0 && o.maxSources >= 1)) throw new RangeError('burst, perMinute, maxSources: positive expected');
  }

  /** Takes one call for `source`: 0 when allowed, else the seconds until the next is. */
  take(source: string): number {
    const now = this.o.now();
    const rate = this.o.perMinute / 60_000;
    const b = this.buckets.get(source) ?? { tokens: this.o.burst, at: now };
    this.buckets.delete(source);
    b.tokens = Math.min(this.o.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(source, b);
    if (this.buckets.size > this.o.maxSources) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens < 1) return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
    b.tokens -= 1;
    return 0;
  }

  get size(): number {
    return this.buckets.size;
  }
}
