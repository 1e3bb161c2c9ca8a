import type { WorkflowService } from '@temporalio/client';
import { msNumberToTs, tsToMs } from '@temporalio/common/lib/time';
import { RETENTION_DAYS_VARIABLE } from '../config/env';

// How long a namespace keeps closed workflows. Temporal deletes a closed workflow (its history,
// its visibility row, and so the decision log, the metrics' history and the task pages built from
// them) once the namespace's retention has passed since it closed. The dev server's default is one
// day; the run command sets what LADDER_RETENTION_DAYS asks for there, and on a cluster only reads
// the namespace's retention, because operators own cluster namespaces.

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/**
 * Reads a namespace's workflow execution retention.
 *
 * @param service - a connection's `workflowService`.
 * @returns the retention in milliseconds, or null when the namespace sets none (kept forever).
 * @throws the server's error (unknown namespace, permission denied) as is, for the caller to word.
 */
export async function readRetentionMs(service: WorkflowService, namespace: string): Promise<number | null> {
  const described = await service.describeNamespace({ namespace });
  const ttl = described.config?.workflowExecutionRetentionTtl;
  if (!ttl) return null;
  const ms = tsToMs(ttl);
  return ms > 0 ? ms : null;
}

/**
 * Sets a namespace's workflow execution retention to `days` whole days, changing nothing else in
 * its configuration (only the retention field is sent), and reads it back. Idempotent. Affects
 * workflows as they close: one closed before keeps the retention it closed under.
 *
 * @param days - whole days, at least 1.
 * @returns the retention the namespace reports afterwards, in milliseconds.
 * @throws Error naming the namespace and the days asked for when the server refuses the change or
 *   reports another retention afterwards.
 */
export async function applyRetentionDays(
  service: WorkflowService,
  namespace: string,
  days: number,
): Promise<number> {
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`retention for namespace ${namespace}: expected a whole number of days ≥ 1, got ${days}`);
  }
  try {
    await service.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msNumberToTs(days * DAY_MS) },
    });
  } catch (err) {
    throw new Error(
      `could not set the retention of namespace ${namespace} to ${days} day(s): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const now = await readRetentionMs(service, namespace);
  if (now !== days * DAY_MS) {
    throw new Error(
      `namespace ${namespace} reports a retention of ${formatRetention(now)} after it was set to ${days} day(s)`,
    );
  }
  return now;
}

/** A retention as people read it: `30 days`, `1 day`, `12 hours`, or `unlimited` (null). Pure. */
export function formatRetention(ms: number | null): string {
  if (ms === null) return 'unlimited';
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} day${ms === DAY_MS ? '' : 's'}`;
  const hours = Math.round((ms / 3_600_000) * 10) / 10;
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** What the run command found or did about retention, for its start summary. */
export type RetentionReport =
  /** Set on the dev server Ladder started. */
  | { kind: 'set'; namespace: string; retentionMs: number }
  /** Read from a cluster's namespace, left as it is. */
  | { kind: 'read'; namespace: string; retentionMs: number | null; wantedDays: number }
  /** A cluster's namespace whose retention could not be read. */
  | { kind: 'unreadable'; namespace: string; wantedDays: number; error: string };

/**
 * The start summary's `Retention:` line, and a warning line when a cluster namespace keeps closed
 * workflows for less than `LADDER_RETENTION_DAYS` (or when its retention could not be read). Pure.
 *
 * @returns lines without indentation or trailing newline, the `Retention:` line first.
 */
export function retentionSummary(report: RetentionReport): string[] {
  const label = 'Retention:    ';
  switch (report.kind) {
    case 'set':
      return [
        `${label}${formatRetention(report.retentionMs)} for closed workflows (namespace ${report.namespace}, set from ${RETENTION_DAYS_VARIABLE})`,
      ];
    case 'read': {
      const lines = [
        `${label}${formatRetention(report.retentionMs)} for closed workflows (namespace ${report.namespace}, the cluster's setting; Ladder does not change it)`,
      ];
      if (report.retentionMs !== null && report.retentionMs < report.wantedDays * DAY_MS) {
        lines.push(
          `warning: namespace ${report.namespace} keeps closed workflows ${formatRetention(report.retentionMs)}, less than ${RETENTION_DAYS_VARIABLE}=${report.wantedDays}: ` +
            `decisions, answers and outcomes vanish sooner. Ask the cluster's operators to raise it ` +
            `(temporal operator namespace update --namespace ${report.namespace} --retention ${report.wantedDays}d), ` +
            `or export the record regularly with \`ladder audit export --since\`.`,
        );
      }
      return lines;
    }
    case 'unreadable':
      return [
        `${label}unknown (namespace ${report.namespace}: ${report.error})`,
        `warning: could not read how long namespace ${report.namespace} keeps closed workflows; ${RETENTION_DAYS_VARIABLE}=${report.wantedDays} cannot be checked. ` +
          `Export the record regularly with \`ladder audit export --since\`.`,
      ];
  }
}

/**
 * Compares a cluster namespace's retention with `wantedDays` without changing it.
 *
 * @returns a report for {@link retentionSummary}; an unreadable retention is reported, not thrown,
 *   so a missing permission does not stop start-up.
 */
export async function checkClusterRetention(
  service: WorkflowService,
  namespace: string,
  wantedDays: number,
): Promise<RetentionReport> {
  try {
    return { kind: 'read', namespace, retentionMs: await readRetentionMs(service, namespace), wantedDays };
  } catch (err) {
    return { kind: 'unreadable', namespace, wantedDays, error: (err as Error).message };
  }
}
