// The worker's and CLI's side of the policy-versions entity workflow: what a loaded version is
// recorded as (who, hash, diff), sending it reliably, and reading the list back.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { formatPatch, structuredPatch } from 'diff';
import type { PolicyVersion } from '../policy/store';
import { entityStartOptions } from '../client/entity-start';
import { policyVersions } from '../workflows/policy-versions';
import {
  POLICY_DIFF_MAX_CHARS,
  policyVersionsQuery,
  policyVersionsWorkflowId,
  recordPolicyVersionSignal,
  type PolicyVersionRecord,
  type PolicyVersionsView,
} from '../workflows/policy-version-messages';

/**
 * A unified diff from `before` to `after`, cut at `maxChars` (on a line boundary), with the lines
 * added and removed counted over the whole diff.
 */
export function policyDiff(
  before: { versionId: string; text: string },
  after: { versionId: string; text: string },
  maxChars = POLICY_DIFF_MAX_CHARS,
): { diff: string; truncated: boolean; added: number; removed: number } {
  const patch = structuredPatch(
    `policy@${before.versionId}`,
    `policy@${after.versionId}`,
    before.text,
    after.text,
  );
  let added = 0;
  let removed = 0;
  for (const hunk of patch.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  const full = formatPatch(patch);
  if (full.length <= maxChars) return { diff: full, truncated: false, added, removed };
  const cut = full.slice(0, maxChars);
  return {
    diff: `${cut.slice(0, cut.lastIndexOf('\n') + 1)}… (diff cut at ${maxChars} characters)\n`,
    truncated: true,
    added,
    removed,
  };
}

/** What one loaded version is recorded as: signers if it was signed, else the loading process. */
export function policyVersionRecord(version: PolicyVersion, pid = process.pid): PolicyVersionRecord {
  const { policy, previous } = version;
  const diff = previous ? policyDiff(previous, { versionId: policy.versionId, text: version.text }) : null;
  const signed = version.signers.length > 0;
  return {
    versionId: policy.versionId,
    contentHash: policy.contentHash,
    version: policy.version,
    source: policy.source,
    loadedAt: version.loadedAt,
    by: signed ? version.signers.map((s) => `${s.person} (${s.keyId})`) : [version.loader],
    signed,
    loader: `${version.loader}/${pid}`,
    previousVersionId: previous?.versionId ?? null,
    diff: diff?.diff ?? null,
    diffTruncated: diff?.truncated ?? false,
    linesAdded: diff?.added ?? 0,
    linesRemoved: diff?.removed ?? 0,
  };
}

/** Sends loaded versions to the deployment's policy-versions workflow, in order. */
export interface PolicyHistoryRecorder {
  /** Queues one version; never throws and never blocks the policy load. */
  record(version: PolicyVersion): void;
  /** Resolves once everything queued so far was recorded (or given up on at close). */
  flush(): Promise<void>;
  /** Stops retrying; what is still queued is dropped (the next start records the version in force). */
  close(): void;
}

/**
 * A {@link PolicyHistoryRecorder} that signals-with-start `control/<queue>/policy-versions`,
 * retrying with backoff while Temporal is unreachable: a version loaded during an outage is still
 * recorded once the server is back.
 */
export function createPolicyHistoryRecorder(options: {
  client: Client;
  taskQueue: string;
  onError?: (err: Error, attempt: number) => void;
}): PolicyHistoryRecorder {
  const queue: PolicyVersionRecord[] = [];
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  const send = async (record: PolicyVersionRecord): Promise<void> => {
    for (let attempt = 1; !closed; attempt++) {
      try {
        await options.client.workflow.signalWithStart(policyVersions, {
          workflowId: policyVersionsWorkflowId(options.taskQueue),
          ...entityStartOptions(options.taskQueue),
          args: [],
          signal: recordPolicyVersionSignal,
          signalArgs: [record],
          staticSummary: 'policy versions loaded in this deployment',
        });
        return;
      } catch (err) {
        options.onError?.(err as Error, attempt);
        await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** Math.min(attempt, 7))).unref());
      }
    }
  };
  return {
    record(version) {
      queue.push(policyVersionRecord(version));
      running = running.then(async () => {
        const next = queue.shift();
        if (next) await send(next);
      });
    },
    flush: () => running,
    close() {
      closed = true;
    },
  };
}

/**
 * The recorded versions, newest first (an empty list when no worker has recorded one yet).
 *
 * @param options.limit - how many (1–200, default 20).
 * @param options.withDiffs - include each version's diff.
 */
export async function listPolicyVersions(
  client: Client,
  taskQueue: string,
  options: { limit?: number; withDiffs?: boolean } = {},
): Promise<PolicyVersionsView> {
  try {
    return await client.workflow
      .getHandle(policyVersionsWorkflowId(taskQueue))
      .query(policyVersionsQuery, options);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { total: 0, kept: 0, versions: [] };
    throw err;
  }
}
