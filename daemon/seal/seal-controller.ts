/**
 * The seal state of one daemon: uninitialised → (init) → sealed → (K shares) → unsealing →
 * unsealed → (seal) → sealing → sealed. The services exist only while unsealed: `assemble` builds
 * them from the master key, `teardown` stops them (scheduler, in-flight requests, workers) and the
 * HSM wipes the keys. Shares are collected in memory (share-collector.ts) and combined once K are
 * given; a combination that fails the key check value resets the progress and unseals nothing.
 * Only the shamir mode unseals over the API; a daemon of another mode sealed by an operator stays
 * sealed until it is restarted (its master key comes from its configuration at start).
 */
import { randomBytes } from 'node:crypto';
import { checkValueMatches, generateMasterKey, keyCheckValue } from '../hsm/master-key.js';
import { combinePoints, schemeProblem, splitMasterKey, type ShareScheme } from '../hsm/master-shares.js';
import { openDerivedBase, sealDerivedBase } from '../hsm/derived-keys.js';
import { AlreadyInitialisedError, type MasterKeyMode, type MasterKeyRepo } from '../store/master-key-repo.js';
import { parseScheme, recordedMode, describeMode } from './open-master.js';
import { ShareCollector } from './share-collector.js';
import { sealErrors } from './seal-errors.js';

export type SealState = 'uninitialised' | 'sealed' | 'unsealing' | 'unsealed' | 'sealing';

/** What `GET /v1/sys/seal-status` answers (snake_case on the wire as here). */
export interface SealStatus {
  mode: MasterKeyMode;
  initialized: boolean;
  sealed: boolean;
  state: SealState;
  /** Shamir only: shares needed, shares made, shares given so far. */
  threshold?: number;
  shares?: number;
  progress?: number;
}

export interface SealControllerDeps<S> {
  records: MasterKeyRepo;
  /** Builds the services from the master key (the HSM takes ownership of both buffers). */
  assemble: (master: Buffer, derivedBase: Buffer | undefined) => Promise<S>;
  /** Stops the services: no new work, in-flight requests finished, keys wiped. */
  teardown: (services: S) => Promise<void>;
  log: (line: string) => void;
}

export class SealController<S> {
  private state: SealState;
  private mode: MasterKeyMode;
  private scheme: ShareScheme | undefined;
  private collector: ShareCollector | undefined;
  private running: S | undefined;
  private sealing: Promise<void> | undefined;
  /** Why a non-shamir daemon is sealed (it cannot unseal over the API). */
  private sealedBy: string | undefined;

  constructor(
    private readonly d: SealControllerDeps<S>,
    start: { mode: MasterKeyMode; state: 'uninitialised' | 'sealed'; scheme?: ShareScheme },
  ) {
    this.mode = start.mode;
    this.state = start.state;
    this.scheme = start.scheme;
    this.collector = start.scheme && new ShareCollector(start.scheme);
  }

  /** The services, while unsealed (the gate sends requests to them). */
  services(): S | undefined {
    return this.state === 'unsealed' ? this.running : undefined;
  }

  get currentMode(): MasterKeyMode {
    return this.mode;
  }

  status(): SealStatus {
    const s: SealStatus = { mode: this.mode, initialized: this.state !== 'uninitialised', sealed: this.state !== 'unsealed', state: this.state };
    if (this.mode === 'shamir' && this.scheme) {
      s.threshold = this.scheme.k;
      s.shares = this.scheme.n;
      s.progress = this.state === 'unsealed' ? 0 : (this.collector?.given ?? 0);
    }
    return s;
  }

  /** The 503 every other API call gets now: what to do about it, and the progress. */
  sealedError() {
    const k = this.scheme?.k ?? 0;
    const given = `${this.collector?.given ?? 0} of ${k} shares given`;
    switch (this.state) {
      case 'uninitialised':
        return sealErrors.sealed('its master key is not initialised: run `dew operator init --shares N --threshold K`, then `dew operator unseal` with K of the shares (0 shares given)');
      case 'unsealing':
        return sealErrors.sealed(`unsealing, the services are starting; try again in a moment (${given})`);
      case 'sealing':
        return sealErrors.sealed('sealing: the services are stopping');
      default:
        if (this.mode !== 'shamir') return sealErrors.sealed(`${this.sealedBy ?? 'an operator sealed it'}; restart the daemon to unseal it (its master key is ${describeMode(this.mode)})`);
        return sealErrors.sealed(`give ${k} key shares with \`dew operator unseal\` (${given})`);
    }
  }

  /** Starts unsealed with a master key found at start (dev, passphrase, pkcs11). */
  async startUnsealed(master: Buffer, derivedBase: Buffer | undefined): Promise<S> {
    this.state = 'unsealing';
    try {
      this.running = await this.d.assemble(master, derivedBase);
    } catch (err) {
      this.state = 'sealed';
      throw err;
    }
    this.state = 'unsealed';
    return this.running;
  }

  /** `dew operator init`: a new master key split into `n` shares, `k` needed; the daemon stays sealed. The shares, once. */
  async init(n: unknown, k: unknown): Promise<{ shares: string[]; threshold: number }> {
    if (this.state !== 'uninitialised') {
      throw this.mode === 'shamir' ? sealErrors.alreadyInitialised() : sealErrors.notThisMode(`The master key is in ${this.mode} mode: \`dew operator init\` is for a daemon started with --seal shamir on a new database.`);
    }
    const problem = schemeProblem(n, k);
    if (problem) throw sealErrors.invalid(problem);
    const scheme: ShareScheme = { n: n as number, k: k as number, set: randomBytes(4).toString('hex') };
    const master = generateMasterKey();
    const base = generateMasterKey();
    try {
      const shares = await splitMasterKey(master, scheme);
      await this.d.records.init({ mode: 'shamir', check: keyCheckValue(master), record: JSON.stringify(scheme), derivedBaseSealed: sealDerivedBase(master, base) });
      this.scheme = scheme;
      this.collector = new ShareCollector(scheme);
      this.state = 'sealed';
      this.d.log(JSON.stringify({ level: 'info', msg: `master key initialised: split into ${scheme.n} shares, ${scheme.k} needed to unseal` }));
      return { shares, threshold: scheme.k };
    } catch (err) {
      if (err instanceof AlreadyInitialisedError) {
        await this.refresh();
        throw sealErrors.alreadyInitialised();
      }
      throw err;
    } finally {
      master.fill(0);
      base.fill(0);
    }
  }

  /** Another daemon on the database may have initialised it since this one started. */
  private async refresh(): Promise<void> {
    if (this.state !== 'uninitialised') return;
    const r = await this.d.records.read();
    if (recordedMode(r) === 'shamir' && r.check) {
      this.scheme = parseScheme(r.shares);
      this.collector = new ShareCollector(this.scheme);
      this.state = 'sealed';
    }
  }

  /** `dew operator unseal`: one share. At K, the key is rebuilt, checked and the services built. */
  async unseal(share: unknown): Promise<SealStatus> {
    await this.refresh();
    if (this.state === 'unsealed') throw sealErrors.notSealed();
    if (this.state === 'uninitialised') throw this.sealedError();
    if (this.state === 'unsealing' || this.state === 'sealing') return this.status();
    if (this.mode !== 'shamir' || !this.collector) throw sealErrors.notThisMode(`The master key is in ${this.mode} mode, not split into shares: restart the daemon to unseal it.`);
    const collector = this.collector;
    collector.add(share);
    this.d.log(JSON.stringify({ level: 'info', msg: `unseal: ${collector.given} of ${collector.scheme.k} shares given` }));
    if (!collector.complete) return this.status();
    this.state = 'unsealing';
    let master: Buffer | undefined;
    try {
      master = await combinePoints(collector.taken());
      collector.reset();
      const r = await this.d.records.read();
      if (!r.check || !checkValueMatches(master, r.check)) {
        master.fill(0);
        this.state = 'sealed';
        throw sealErrors.wrongCombination(collector.scheme.k);
      }
      const base = r.derivedBase ? openDerivedBase(master, Buffer.from(r.derivedBase, 'base64')) : undefined;
      this.running = await this.d.assemble(master, base);
      this.state = 'unsealed';
      this.sealedBy = undefined;
      this.d.log(JSON.stringify({ level: 'info', msg: 'unsealed: the services are running' }));
      return this.status();
    } catch (err) {
      collector.reset();
      if (this.state === 'unsealing') {
        this.state = 'sealed';
        master?.fill(0);
      }
      throw err;
    }
  }

  /**
   * `dew operator seal`: refuses new requests at once; the teardown runs after `drained` resolves
   * (the in-flight requests, this one included, have finished). Resolves when sealed.
   */
  seal(drained: () => Promise<void>, why: string): Promise<void> {
    if (this.sealing) return this.sealing;
    if (this.state !== 'unsealed' || !this.running) return Promise.resolve();
    const services = this.running;
    this.state = 'sealing';
    this.sealedBy = why;
    this.sealing = (async () => {
      try {
        await drained();
        await this.d.teardown(services);
      } finally {
        this.running = undefined;
        this.collector?.reset();
        this.state = 'sealed';
        this.sealing = undefined;
        this.d.log(JSON.stringify({ level: 'info', msg: 'sealed: the services are stopped and the master key wiped from memory' }));
      }
    })();
    return this.sealing;
  }

  /** A rekey committed: the mode (and, for shamir, the split) the next unseal needs. */
  switched(mode: MasterKeyMode, scheme?: ShareScheme): void {
    this.mode = mode;
    this.scheme = scheme;
    this.collector?.reset();
    this.collector = scheme && new ShareCollector(scheme);
  }

  /** The daemon is closing: the services to stop, if any (and none afterwards). */
  take(): S | undefined {
    const s = this.running;
    this.running = undefined;
    if (this.state === 'unsealed') this.state = 'sealed';
    return s;
  }

  /** Resolves once a seal in progress is done. */
  settled(): Promise<void> {
    return this.sealing ?? Promise.resolve();
  }
}
