// The Slack app's own view of its acks: its `ladder_slack_ack_seconds` histogram (time from a
// request entering its handler to the ack being sent), read from its Prometheus endpoint before and
// after a phase. The bench's ack figure is measured from the emulator, so it also holds the time the
// request spent reaching the app's handler; the two side by side say where an ack's time goes.
import { parseSample } from './prometheus-text';

/** Cumulative counts of one histogram, by bucket upper bound in seconds (`+Inf` as Infinity). */
export type Buckets = ReadonlyMap<number, number>;

/**
 * Reads the `ladder_slack_ack_seconds` buckets of requests of `kind` (e.g. `block_actions`) from a
 * Prometheus text exposition. Pure.
 *
 * @returns an empty map when the exposition has no such series (no request of that kind yet).
 */
export function ackBuckets(exposition: string, kind: string): Buckets {
  const out = new Map<number, number>();
  for (const line of exposition.split('\n')) {
    const sample = parseSample(line);
    if (sample?.name !== 'ladder_slack_ack_seconds_bucket' || sample.labels.kind !== kind) continue;
    const le = sample.labels.le;
    if (le !== undefined) out.set(le === '+Inf' ? Infinity : Number(le), sample.value);
  }
  return out;
}

/**
 * The acks of one phase, `before` to `after`, as the bucket bounds (ms) the p50 and p99 fall in:
 * "at most this long". Pure.
 *
 * @returns null when no ack was counted between the two readings.
 */
export function ackQuantilesMs(
  before: Buckets,
  after: Buckets,
): { count: number; p50AtMostMs: number; p99AtMostMs: number } | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const count = counts.at(-1) ?? 0;
  if (count <= 0) return null;
  const atMost = (q: number): number => {
    const i = counts.findIndex((c) => c >= q * count);
    return bounds[i] * 1000;
  };
  return { count, p50AtMostMs: atMost(0.5), p99AtMostMs: atMost(0.99) };
}
