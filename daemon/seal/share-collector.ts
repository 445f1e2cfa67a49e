/**
 * The shares given so far towards one unseal (or one rekey verification): each is checked on
 * arrival (a share of this split, not one already given), kept only in memory, and wiped on reset
 * or once combined. Pure: no clock, no I/O.
 */
import { decodeShare, MalformedShareError, type ShareScheme } from '../hsm/master-shares.js';
import { sealErrors } from './seal-errors.js';

export class ShareCollector {
  private readonly points = new Map<number, Buffer>();

  constructor(readonly scheme: ShareScheme) {}

  get given(): number {
    return this.points.size;
  }

  get complete(): boolean {
    return this.points.size >= this.scheme.k;
  }

  /** Adds one share text; a DewError (400) for a malformed share, one of another split, or one already given. */
  add(text: unknown): void {
    let share;
    try {
      share = decodeShare(text);
    } catch (err) {
      if (err instanceof MalformedShareError) throw sealErrors.malformedShare(err.message);
      throw err;
    }
    if (share.set !== this.scheme.set || share.k !== this.scheme.k || share.n !== this.scheme.n) {
      share.point.fill(0);
      throw sealErrors.otherSplit();
    }
    // The x coordinate (last byte) is what makes two shares different points; the number is the operator's name for it.
    const x = share.point[share.point.length - 1];
    if (this.points.has(x) || [...this.points.values()].some((p) => p.equals(share.point))) {
      share.point.fill(0);
      throw sealErrors.repeatedShare(share.index, this.given, this.scheme.k);
    }
    this.points.set(x, share.point);
  }

  /** The points given (still owned by the collector). */
  taken(): Buffer[] {
    return [...this.points.values()];
  }

  /** Forgets (and wipes) every share given. */
  reset(): void {
    for (const p of this.points.values()) p.fill(0);
    this.points.clear();
  }
}
