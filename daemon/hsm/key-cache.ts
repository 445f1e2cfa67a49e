/**
 * Unwrapped key versions ready to use, in a bounded LRU that wipes what it forgets: symmetric
 * material with its prepared cipher, asymmetric keys as parsed handles (parsing PKCS#8 costs
 * ~310 µs), never re-parsed per request.
 */
import { loadPrivateKey, wipeKeyHandle, type AsymmetricKeyHandle } from './asym/asymmetric.js';
import { isAsymmetricKeySpec } from './asym/key-specs.js';
import { Lru } from './lru.js';
import { keySpecInfo, type KeySpecInfo } from './key-specs.js';
import { aesCipher, sm4Cipher, type SymmetricCipher } from './symmetric.js';
import { KeyMaterialMissingError } from './errors.js';

export interface CachedKey {
  readonly spec: KeySpecInfo;
  /** Symmetric material (empty for asymmetric keys, whose DER is wiped once parsed). */
  readonly raw: Buffer;
  readonly cipher?: SymmetricCipher;
  readonly handle?: AsymmetricKeyHandle;
}

type VersionRef = { keyId: string; version: number };

function evict(k: CachedKey): void {
  k.raw.fill(0);
  if (k.handle) wipeKeyHandle(k.handle);
}

/** The symmetric key spec of `keySpec`; a TypeError for anything else (a caller bug, not input). */
export function assertSymmetricSpec(keySpec: string): KeySpecInfo {
  const spec = keySpecInfo(keySpec);
  if (!spec || !spec.symmetric) throw new TypeError(`keySpec: ${keySpec} is not a symmetric key spec`);
  return spec;
}

/**
 * Turns freshly unwrapped material into a cache entry. Takes ownership of `raw`: kept (symmetric)
 * or wiped once parsed (asymmetric).
 */
export function toCachedKey(ref: VersionRef & { keySpec: string }, raw: Buffer): CachedKey {
  if (isAsymmetricKeySpec(ref.keySpec)) {
    try {
      return { spec: keySpecInfo(ref.keySpec)!, raw: Buffer.alloc(0), handle: loadPrivateKey(ref.keySpec, raw) };
    } finally {
      raw.fill(0);
    }
  }
  const spec = assertSymmetricSpec(ref.keySpec);
  if (raw.length !== spec.materialBytes) throw new KeyMaterialMissingError(ref);
  return { spec, raw, cipher: spec.family === 'aes' ? aesCipher(raw) : spec.family === 'sm4' ? sm4Cipher(raw) : undefined };
}

export class KeyCache {
  private readonly lru: Lru<string, CachedKey>;

  constructor(size: number) {
    this.lru = new Lru(size, evict);
  }

  get(ref: VersionRef): CachedKey | undefined {
    return this.lru.get(`${ref.keyId}#${ref.version}`);
  }

  set(ref: VersionRef, entry: CachedKey): void {
    this.lru.set(`${ref.keyId}#${ref.version}`, entry);
  }

  /** Drops (and wipes) every loaded key. */
  clear(): void {
    this.lru.clear();
  }

  /** Drops (and wipes) versions 1..`versions` of a key. */
  forget(keyId: string, versions: number): void {
    for (let v = 1; v <= versions; v++) this.lru.delete(`${keyId}#${v}`);
  }
}
