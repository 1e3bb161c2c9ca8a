import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { workflowNowIso } from './clock';
import {
  POLICY_DIFF_MAX_CHARS,
  POLICY_DIFFS_BUDGET_CHARS,
  POLICY_VERSIONS_KEPT,
  policyVersionsQuery,
  recordPolicyVersionSignal,
  type PolicyVersionEntry,
  type PolicyVersionRecord,
} from './policy-version-messages';

/** State carried across continue-as-new: the kept window, newest last. */
export interface PolicyVersionsState {
  total: number;
  versions: PolicyVersionEntry[];
}

/** Signals per run before continuing as new: each can carry a 20 KB diff, so histories stay small. */
const SIGNALS_PER_RUN = 200;

/** Drops the oldest entries beyond the window, then the oldest diffs until all fit the budget. */
function bound(state: PolicyVersionsState): void {
  if (state.versions.length > POLICY_VERSIONS_KEPT)
    state.versions.splice(0, state.versions.length - POLICY_VERSIONS_KEPT);
  let chars = state.versions.reduce((n, v) => n + (v.diff?.length ?? 0), 0);
  for (const v of state.versions) {
    if (chars <= POLICY_DIFFS_BUDGET_CHARS) break;
    if (v.diff === null) continue;
    chars -= v.diff.length;
    v.diff = null;
    v.diffDropped = true;
  }
}

/** Keeps a report only when it has the fields a listing needs; signals have no validator. */
function wellFormed(r: PolicyVersionRecord | undefined): r is PolicyVersionRecord {
  return typeof r?.versionId === 'string' && typeof r.contentHash === 'string' && Array.isArray(r.by);
}

/**
 * The deployment's record of every policy version loaded (`control/<queue>/policy-versions`):
 * workers signal-with-start it whenever they take a version; the same version reported again by
 * another worker or a restart is counted on its entry, not recorded twice. Keeps the last
 * {@link POLICY_VERSIONS_KEPT} versions with diffs under a total budget, and continues as new
 * before its history grows large.
 */
export async function policyVersions(carried?: PolicyVersionsState): Promise<void> {
  const state: PolicyVersionsState = carried ?? { total: 0, versions: [] };
  let signals = 0;

  setHandler(recordPolicyVersionSignal, (record) => {
    signals++;
    if (!wellFormed(record)) return;
    const latest = state.versions[state.versions.length - 1];
    if (latest?.contentHash === record.contentHash) {
      latest.alsoLoadedBy++;
      return;
    }
    const diff = record.diff === null ? null : String(record.diff).slice(0, POLICY_DIFF_MAX_CHARS);
    state.total++;
    state.versions.push({
      ...record,
      diff,
      diffTruncated: record.diffTruncated || (record.diff?.length ?? 0) > POLICY_DIFF_MAX_CHARS,
      seq: state.total,
      recordedAt: workflowNowIso(),
      alsoLoadedBy: 0,
    });
    bound(state);
  });
  setHandler(policyVersionsQuery, (options) => {
    const limit = Math.max(1, Math.min(options?.limit ?? 20, POLICY_VERSIONS_KEPT));
    const newest = state.versions.slice(-limit).reverse();
    return {
      total: state.total,
      kept: state.versions.length,
      versions: options?.withDiffs ? newest : newest.map((v) => ({ ...v, diff: null })),
    };
  });

  await condition(() => signals >= SIGNALS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof policyVersions>(state);
}
