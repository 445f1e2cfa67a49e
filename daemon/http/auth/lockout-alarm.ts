/**
 * The alarm of an AK lockout (http/auth/ak-lockout.ts `onLock`): an audit record (operation
 * `ak-lockout`, refused 401 APIGW.0301, with the AK, its owner and the locked source address) and
 * one warning line in the daemon log, which log-based metrics count. Neither holds a secret or a
 * signature.
 */
import type { AuditEntry } from '../../services/audit.js';
import type { LockEvent } from './ak-lockout.js';

export const LOCKOUT_OPERATION = 'ak-lockout';

export interface LockoutAlarmDeps {
  /** The audit trail (absent with `--audit off`). */
  audit: { record(entry: AuditEntry): void } | undefined;
  log: (line: string) => void;
  /** Who an access key belongs to (undefined for an unknown AK). */
  ownerOf: (accessKey: string) => { domainId: string; userId: string } | undefined;
}

export function lockoutAlarm(d: LockoutAlarmDeps): (e: LockEvent) => void {
  return (e) => {
    const owner = d.ownerOf(e.accessKey);
    d.log(
      JSON.stringify({
        level: 'warn',
        msg: 'access key locked for a source address after bad signatures',
        event: LOCKOUT_OPERATION,
        access_key: e.accessKey,
        known: owner !== undefined,
        source_ip: e.source,
        failures: e.failures,
        locked_until: new Date(e.lockedUntil).toISOString(),
      }),
    );
    d.audit?.record({
      at: e.at,
      requestId: '',
      domainId: owner?.domainId ?? '',
      userId: owner?.userId ?? '',
      accessKey: e.accessKey,
      sourceIp: e.source,
      operation: LOCKOUT_OPERATION,
      resourceId: e.accessKey,
      outcome: 'refused',
      status: 401,
      errorCode: 'APIGW.0301',
    });
  };
}
