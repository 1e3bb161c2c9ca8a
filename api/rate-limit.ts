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
 * Fixed one-minute windows per agent, in this process's memory: cheap and enough to stop a
 * runaway agent loop. Several API processes each allow the full budget (documented limit). Keys
 * of agents idle for a window are dropped, so memory follows the active agents only.
 */
export function createRateLimiter(): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(agentId, perMinute, nowMs = Date.now(), count = 1) {
      if (windows.size > 1000) {
        for (const [k, w] of windows) if (nowMs - w.start >= WINDOW_MS) windows.delete(k);
      }
      let w = windows.get(agentId);
      if (!w || nowMs - w.start >= WINDOW_MS) {
        w = { start: nowMs, count: 0 };
        windows.set(agentId, w);
      }
      if (w.count + count > perMinute) return Math.max(1, Math.ceil((w.start + WINDOW_MS - nowMs) / 1000));
      w.count += count;
      return null;
    },
  };
}
