/** A seeded random source, so a chaos run with the same seed builds the same tasks and answers. */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** True with probability `p` (0..1). */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number;
}

/**
 * mulberry32: small, fast, good enough to make runs repeatable (not for secrets).
 *
 * @param seed - any integer; the same seed gives the same sequence.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick: the list is empty');
      return items[Math.floor(next() * items.length)];
    },
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
  };
}
