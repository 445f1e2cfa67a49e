/**
 * A bounded map that forgets a least recently used entry and lets the owner wipe it. Recency is kept
 * CLOCK-style (second chance): a hit only marks its entry, so the hot path never reorders the map;
 * eviction moves marked entries to the back, clearing the mark, and drops the first unmarked one
 * (never the entry being set).
 */
interface Slot<V> {
  value: V;
  used: boolean;
}

export class Lru<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  constructor(
    private readonly max: number,
    private readonly onEvict: (value: V) => void = () => {},
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max: positive integer expected');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const s = this.map.get(key);
    if (s === undefined) return undefined;
    s.used = true;
    return s.value;
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      if (old.value !== value) this.onEvict(old.value);
      this.map.delete(key);
    }
    this.map.set(key, { value, used: false });
    while (this.map.size > this.max) {
      const [first, slot] = this.map.entries().next().value as [K, Slot<V>];
      this.map.delete(first);
      // The entry just set is never the one evicted: its caller holds the value.
      if (slot.used || first === key) {
        slot.used = false;
        this.map.set(first, slot);
      } else {
        this.onEvict(slot.value);
      }
    }
  }

  delete(key: K): void {
    const s = this.map.get(key);
    if (s === undefined) return;
    this.map.delete(key);
    this.onEvict(s.value);
  }

  clear(): void {
    for (const s of this.map.values()) this.onEvict(s.value);
    this.map.clear();
  }
}
