/** FNV-1a, 32 bit, from `seed` (the standard offset basis by default). */
function fnv1a(id: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A stable position in [0, 1) for a string (FNV-1a, 32 bit): the same id lands in the same place on
 * every worker and every restart, so sampling and canary subsets need no randomness. Pure.
 */
export function stableShare(id: string): number {
  return fnv1a(id) / 0x100000000;
}

/**
 * A stable 53-bit fingerprint of a string (two FNV-1a passes with different seeds), a safe integer
 * that takes about 16 bytes of JSON whatever the string's length. Among 20,000 distinct ids the
 * chance that any two share a fingerprint is about 2 in 100 million. Pure.
 */
export function stableFingerprint(id: string): number {
  const high = fnv1a(id, 0x050c5d1f) & 0x1fffff; // 21 bits
  return high * 0x100000000 + fnv1a(id);
}
