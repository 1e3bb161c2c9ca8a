import { defineQuery, defineSignal } from '@temporalio/workflow';

// Messages of the policy-versions entity workflow, shared by the worker (records), the CLI (lists)
// and the workflow. Own module so the big shared messages module stays about tasks.

/** One loaded policy version, as the loading process reports it. */
export interface PolicyVersionRecord {
  versionId: string;
  /** SHA-256 of the file's bytes, hex. */
  contentHash: string;
  /** The declared `version` field. */
  version: string;
  /** The policy file's path on the loading machine. */
  source: string;
  /** When the process took it (its wall clock, ISO-8601). */
  loadedAt: string;
  /** Who: the admins who signed it (`person (keyId)`), else the loading process's `user@host`. */
  by: string[];
  signed: boolean;
  /** `user@host/pid` of the process that loaded it. */
  loader: string;
  /** The version the diff is against (what that process had before), or null for the first. */
  previousVersionId: string | null;
  /** Unified diff against `previousVersionId`, capped; null when there is no previous version. */
  diff: string | null;
  diffTruncated: boolean;
  linesAdded: number;
  linesRemoved: number;
}

/** A recorded version: the report plus the workflow's own bookkeeping. */
export interface PolicyVersionEntry extends PolicyVersionRecord {
  /** Sequence number across continue-as-new, 1 for the first version ever recorded. */
  seq: number;
  /** Workflow time it was recorded at. */
  recordedAt: string;
  /** How many more loads of this same version (other workers, restarts) were reported after it. */
  alsoLoadedBy: number;
  /** True when the diff was dropped to keep the workflow's state bounded (older entries go first). */
  diffDropped?: boolean;
}

/** What the list query answers: newest first. */
export interface PolicyVersionsView {
  /** Versions ever recorded (older ones beyond the kept window are forgotten). */
  total: number;
  kept: number;
  versions: PolicyVersionEntry[];
}

/** Versions kept; older ones are dropped (the Temporal history of earlier runs still has them). */
export const POLICY_VERSIONS_KEPT = 200;
/** Longest diff kept per version, in characters. */
export const POLICY_DIFF_MAX_CHARS = 20_000;
/** All diffs together stay under this, so the state carried over continue-as-new stays small. */
export const POLICY_DIFFS_BUDGET_CHARS = 400_000;

/** A worker loaded a version (at start or after an edit). */
export const recordPolicyVersionSignal = defineSignal<[PolicyVersionRecord]>('recordPolicyVersion');
/** Compact list; diffs only when asked for. */
export const policyVersionsQuery = defineQuery<
  PolicyVersionsView,
  [{ limit?: number; withDiffs?: boolean }?]
>('policyVersions');
/** One entity per deployment (task queue). */
export const policyVersionsWorkflowId = (taskQueue: string): string => `control/${taskQueue}/policy-versions`;
