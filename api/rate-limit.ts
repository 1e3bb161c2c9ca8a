/** A per-agent request budget for one minute window. */
export interface RateLimiter {
  /**
   * Counts `count` requests of `agentId` (default 1; an MCP batch counts each message) against
   * `perMinute`, all or none.
   *
   * @returns null when allowed, else the seconds until the agent may try again (the next window).
   */
  take(agentId: string, perMinute: number, nowMs?: number, count?: number): number | null;
}

const WINDOW_MS = 60_000;

/**
 * One-minute windows per agent, in this process's memory, counted as a sliding window: the last
 * window's requests weigh in for the part of it still inside the last minute, so a burst at the end
 * of one window and another at the start of the next cannot pass twice the budget (120 in a second
 * at 60 a minute did with fixed windows). Cheap and enough to stop a runaway agent loop. Several
 * API processes each allow the full budget (documented limit). Keys of agents idle for two windows
 * are dropped, so memory follows the active agents only.
 */
export function createRateLimiter(): RateLimiter {
  const windows = new Map<string, { start: number; count: number; previous: number }>();
  return {
    take(agentId, perMinute, nowMs = Date.now(), count = 1) {
      if (windows.size > 1000) {
        for (const [k, w] of windows) if (nowMs - w.start >= 2 * WINDOW_MS) windows.delete(k);
      }
      let w = windows.get(agentId);
      if (!w) {
        w = { start: nowMs, count: 0, previous: 0 };
        windows.set(agentId, w);
      } else if (nowMs - w.start >= WINDOW_MS) {
        const passed = Math.floor((nowMs - w.start) / WINDOW_MS);
        w.previous = passed === 1 ? w.count : 0;
        w.start += passed * WINDOW_MS;
        w.count = 0;
      }
      const inside = 1 - (nowMs - w.start) / WINDOW_MS;
      if (w.previous * inside + w.count + count <= perMinute) {
        w.count += count;
        return null;
      }
      // When the last window's weight has fallen enough for this request, or this window ends.
      const room = perMinute - w.count - count;
      const freeAt =
        room < 0 || w.previous === 0 ? w.start + WINDOW_MS : w.start + WINDOW_MS * (1 - room / w.previous);
      return Math.max(1, Math.ceil((freeAt - nowMs) / 1000));
    },
  };
}
