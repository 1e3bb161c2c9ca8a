/** A per-agent request budget for one minute window. */
export interface RateLimiter {
  /**
   * Counts one request of `agentId` against `perMinute`.
   *
   * @returns null when allowed, else the seconds until the agent may try again.
   */
  take(agentId: string, perMinute: number, nowMs?: number): number | null;
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
    take(agentId, perMinute, nowMs = Date.now()) {
      if (windows.size > 1000) {
        for (const [k, w] of windows) if (nowMs - w.start >= WINDOW_MS) windows.delete(k);
      }
      let w = windows.get(agentId);
      if (!w || nowMs - w.start >= WINDOW_MS) {
        w = { start: nowMs, count: 0 };
        windows.set(agentId, w);
      }
      if (w.count >= perMinute) return Math.max(1, Math.ceil((w.start + WINDOW_MS - nowMs) / 1000));
      w.count++;
      return null;
    },
  };
}
