/**
 * A stable position in [0, 1) for a string (FNV-1a, 32 bit): the same id lands in the same place on
 * every worker and every restart, so sampling and canary subsets need no randomness. Pure.
 */
export function stableShare(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x100000000;
}
