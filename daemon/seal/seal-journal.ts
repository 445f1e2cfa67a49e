/**
 * What happened at the unauthenticated seal API while the daemon was sealed (init, each unseal
 * share given or refused): kept in memory, bounded, and handed to the audit trail as soon as the
 * services exist (the trail needs the master key, so it cannot record them as they happen). A
 * share, a body or a key never enters an event: only who asked, when, and what was answered.
 */
import type { AuditEntry } from '../services/audit.js';

export const SEAL_JOURNAL_MAX = 256;

export type SealEvent = Pick<AuditEntry, 'at' | 'requestId' | 'sourceIp' | 'operation' | 'outcome' | 'status' | 'errorCode'>;

export class SealJournal {
  private events: SealEvent[] = [];
  private dropped = 0;

  constructor(private readonly max = SEAL_JOURNAL_MAX) {}

  add(e: SealEvent): void {
    if (this.events.length < this.max) this.events.push(e);
    else this.dropped++;
  }

  /**
   * The events so far, oldest first, and empties the journal; when some did not fit, a last
   * `seal-events-dropped` event says how many (in its error code, `dropped:N`).
   */
  drain(at: number): SealEvent[] {
    const out = this.events;
    if (this.dropped > 0) out.push({ at, requestId: '', sourceIp: '', operation: 'seal-events-dropped', outcome: 'failed', status: 0, errorCode: `dropped:${this.dropped}` });
    this.events = [];
    this.dropped = 0;
    return out;
  }
}

/** The audit record of a sealed-time event: the operator account's, as the authenticated seal API records. */
export function sealEventRecord(e: SealEvent, operatorDomainId: string): AuditEntry {
  return { ...e, domainId: operatorDomainId, userId: '', accessKey: '', resourceId: 'master-key' };
}
