/**
 * Seeded pseudo-random numbers for the sandbox (generated tenants, injected faults) and the tests that model
 * faults: the same seed gives the same sequence on every machine, so a failing run can be replayed.
 */

/** mulberry32: a small, fast generator of numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A number in [0, 1) that depends only on `seed` and `key` (FNV-1a of the key, mixed with the seed, one
 * mulberry32 step): the same key draws the same number whatever else happened before it.
 */
export function keyedUnit(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mulberry32(h >>> 0)();
}
