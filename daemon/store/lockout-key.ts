/**
 * The key of one (AK, source) lockout row: the map key of each daemon's mirror and the object id
 * of its change events (kind `ak_lockout`). An AK never holds a space (http/auth/sdk-authorization.ts).
 */
export function lockKey(ak: string, source: string): string {
  return `${ak} ${source}`;
}

/** The (AK, source) of a `lockKey`. */
export function splitLockKey(key: string): { ak: string; source: string } {
  const i = key.indexOf(' ');
  return i < 0 ? { ak: key, source: '' } : { ak: key.slice(0, i), source: key.slice(i + 1) };
}
