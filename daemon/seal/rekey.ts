/**
 * `dew operator rekey --to MODE`: a new master key for a running installation without touching any
 * key below the partition roots. The new mode's secret is put in place first (dev: the key file
 * written as master.key.next; passphrase: the blob sealed under the new passphrase; pkcs11: the
 * master key wrapped by a new key inside the token; shamir: the shares shown to the operator and K
 * of them given back, as Vault's rekey verification), then ONE transaction re-seals every root,
 * sets the check value, the mode and its record and the derived-keys base (store/master-key-repo.ts).
 * After the commit the dev key file is renamed into place (open-master.ts finishes that rename if
 * the daemon was killed first) and an old dev key file removed. A kill at any point leaves the old
 * master key or the new one in force, never neither.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateMasterKey, keyCheckValue, sealMasterKey } from '../hsm/master-key.js';
import { combinePoints, schemeProblem, splitMasterKey, type ShareScheme } from '../hsm/master-shares.js';
import type { RekeyedRoots } from '../hsm/software-hsm.js';
import { MASTER_KEY_MODES, RekeyConflictError, type MasterKeyMode, type MasterKeyRepo } from '../store/master-key-repo.js';
import { recordedMode, NEXT_KEY_FILE } from './open-master.js';
import { ShareCollector } from './share-collector.js';
import { sealErrors } from './seal-errors.js';
import type { MasterWrapper } from './master-wrapper.js';

/** How long the shares of a pending shamir rekey wait for their verification. */
export const REKEY_PENDING_MS = 10 * 60_000;

export interface RekeyHsm {
  rekey(next: Buffer, loadRoots: () => Promise<{ partitionId: string; wrapped: Buffer }[]>, commit: (r: RekeyedRoots) => Promise<void>): Promise<void>;
}

export interface RekeyDeps {
  records: MasterKeyRepo;
  hsm: RekeyHsm;
  dataDir: string;
  /** Tells the seal state the new mode (and split) once committed. */
  switched: (mode: MasterKeyMode, scheme?: ShareScheme) => void;
  /** The token wrap for `--to pkcs11` (the daemon's --pkcs11-library; token and PIN from the request). */
  tokenWrapper?: (token: string, pin: string) => MasterWrapper;
  now: () => number;
  log: (line: string) => void;
  /**
   * The worker count of the cluster this daemon serves in: a rekey runs in one process (the other
   * workers would keep the old master key in memory and seal new partition roots under it).
   */
  workers?: number;
}

export interface RekeyRequest {
  to?: unknown;
  shares?: unknown;
  threshold?: unknown;
  passphrase?: unknown;
  pkcs11_token?: unknown;
  pkcs11_pin?: unknown;
}

interface Pending {
  nonce: string;
  next: Buffer;
  scheme: ShareScheme;
  collector: ShareCollector;
  expiresAt: number;
}

/** Writes a new dev key file (0600) and syncs it to disk before the commit that makes it the master key. */
function writeNextKeyFile(dataDir: string, key: Buffer): string {
  const path = join(dataDir, NEXT_KEY_FILE);
  if (existsSync(path)) unlinkSync(path);
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, key.toString('hex') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class RekeyService {
  private pending: Pending | undefined;
  private busy = false;

  constructor(private readonly d: RekeyDeps) {}

  /** Starts a rekey: every mode but shamir commits here; shamir answers the new shares to be verified. */
  async start(req: RekeyRequest): Promise<Record<string, unknown>> {
    this.soleProcess();
    const to = req.to;
    if (typeof to !== 'string' || !MASTER_KEY_MODES.includes(to as MasterKeyMode)) throw sealErrors.invalid(`to: one of ${MASTER_KEY_MODES.join(', ')}`);
    const mode = to as MasterKeyMode;
    if (mode === 'shamir') return this.proposeShares(req.shares, req.threshold);
    const next = generateMasterKey();
    try {
      let record: string | undefined;
      if (mode === 'passphrase') {
        if (typeof req.passphrase !== 'string' || req.passphrase.length < 8) throw sealErrors.invalid('passphrase: at least 8 characters');
        record = JSON.stringify(sealMasterKey(next, req.passphrase));
      } else if (mode === 'pkcs11') {
        if (!this.d.tokenWrapper) throw sealErrors.rekeyFailed('The daemon has no PKCS#11 library: start it with --pkcs11-library PATH (DEW_PKCS11_LIBRARY) to rekey to pkcs11.');
        if (typeof req.pkcs11_token !== 'string' || req.pkcs11_token === '') throw sealErrors.invalid('pkcs11_token: the token label');
        if (typeof req.pkcs11_pin !== 'string' || req.pkcs11_pin === '') throw sealErrors.invalid('pkcs11_pin: the user PIN of the token');
        try {
          record = await this.d.tokenWrapper(req.pkcs11_token, req.pkcs11_pin).wrap(next);
        } catch (err) {
          if ((err as Error).name === 'TokenUnavailableError') throw sealErrors.rekeyFailed(`${(err as Error).message}; nothing was changed.`);
          throw err;
        }
      }
      await this.commit(next, mode, record);
      return { mode, complete: true };
    } finally {
      next.fill(0);
    }
  }

  private async proposeShares(n: unknown, k: unknown): Promise<Record<string, unknown>> {
    const problem = schemeProblem(n, k);
    if (problem) throw sealErrors.invalid(problem);
    this.drop();
    const scheme: ShareScheme = { n: n as number, k: k as number, set: randomBytes(4).toString('hex') };
    const next = generateMasterKey();
    const shares = await splitMasterKey(next, scheme);
    const nonce = randomBytes(16).toString('hex');
    this.pending = { nonce, next, scheme, collector: new ShareCollector(scheme), expiresAt: this.d.now() + REKEY_PENDING_MS };
    return { mode: 'shamir', complete: false, nonce, shares, threshold: scheme.k, verification_required: true, expires_at: this.pending.expiresAt };
  }

  /** The pending shamir rekey, if it has not expired. */
  private current(nonce?: unknown): Pending {
    const p = this.pending;
    if (p && p.expiresAt <= this.d.now()) this.drop();
    if (!this.pending || (nonce !== undefined && nonce !== this.pending.nonce)) throw sealErrors.noRekey();
    return this.pending;
  }

  status(): Record<string, unknown> {
    try {
      const p = this.current();
      return { pending: true, mode: 'shamir', nonce: p.nonce, threshold: p.scheme.k, shares: p.scheme.n, progress: p.collector.given, expires_at: p.expiresAt };
    } catch {
      return { pending: false };
    }
  }

  /** Refuses a rekey in a cluster of workers (nothing is changed). */
  private soleProcess(): void {
    const n = this.d.workers ?? 1;
    if (n > 1) {
      throw sealErrors.rekeyConflict(
        `A rekey runs in one process and this daemon serves with ${n} workers (each holds the master key in memory): restart it with \`dew daemon --workers 1\`, rekey, then restart it as before. Nothing was changed.`,
      );
    }
  }

  /** One of the new shares given back; at K they must rebuild the new key, then it commits. */
  async verify(nonce: unknown, share: unknown): Promise<Record<string, unknown>> {
    const p = this.current(nonce);
    p.collector.add(share);
    if (!p.collector.complete) return { mode: 'shamir', complete: false, nonce: p.nonce, threshold: p.scheme.k, progress: p.collector.given };
    const rebuilt = await combinePoints(p.collector.taken());
    p.collector.reset();
    try {
      if (rebuilt.length !== p.next.length || !timingSafeEqual(rebuilt, p.next)) {
        throw sealErrors.wrongCombination(p.scheme.k);
      }
    } finally {
      rebuilt.fill(0);
    }
    await this.commit(p.next, 'shamir', JSON.stringify(p.scheme), p.scheme);
    this.drop();
    return { mode: 'shamir', complete: true, threshold: p.scheme.k, shares: p.scheme.n };
  }

  cancel(): Record<string, unknown> {
    this.current();
    this.drop();
    return { pending: false };
  }

  private drop(): void {
    if (!this.pending) return;
    this.pending.next.fill(0);
    this.pending.collector.reset();
    this.pending = undefined;
  }

  /** The switch: the new secret is in place, one transaction, then the dev key file is renamed and an old one removed. */
  private async commit(next: Buffer, mode: MasterKeyMode, record: string | undefined, scheme?: ShareScheme): Promise<void> {
    if (this.busy) throw sealErrors.rekeyConflict('Another rekey is running on this daemon; try again once it ends.');
    this.busy = true;
    try {
      const before = await this.d.records.read();
      const from = recordedMode(before);
      if (!before.check || !from) throw sealErrors.rekeyFailed('This database has no master key records to rekey.');
      const nextFile = mode === 'dev' ? writeNextKeyFile(this.d.dataDir, next) : undefined;
      try {
        await this.d.hsm.rekey(
          next,
          () => this.d.records.loadRoots(),
          (r) => this.d.records.switchMaster({ fromCheck: before.check!, toCheck: keyCheckValue(next), mode, record, derivedBaseSealed: r.derivedBaseSealed, roots: r.roots }),
        );
      } catch (err) {
        if (nextFile && existsSync(nextFile)) unlinkSync(nextFile);
        if (err instanceof RekeyConflictError) throw sealErrors.rekeyConflict(`The master key or the partitions changed during the rekey (another daemon?): nothing was changed; try again.`);
        throw err;
      }
      const keyFile = join(this.d.dataDir, 'master.key');
      if (nextFile) {
        renameSync(nextFile, keyFile);
        syncDir(this.d.dataDir);
      } else if (from === 'dev' && existsSync(keyFile)) {
        unlinkSync(keyFile);
      }
      this.d.switched(mode, scheme);
      this.d.log(JSON.stringify({ level: 'info', msg: `rekeyed: master key moved from ${from} to ${mode} mode; ${before.derivedBase ? 'the derived-keys base kept' : 'the old master key kept as the derived-keys base, sealed under the new one'}` }));
    } finally {
      this.busy = false;
    }
  }
}
