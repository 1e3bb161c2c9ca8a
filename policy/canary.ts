// Canary rollout of a new policy version: which agents get it first, and loading it. The canary's
// progress (running, reverted, promoted) lives in a workflow (workflows/policy-canary.ts).
import { dirname, resolve } from 'node:path';
import { loadPolicyFile, PolicyError, type LoadedPolicy } from './loader';
import { stableShare } from './stable-hash';

/** Where a canary stands. */
export interface CanaryState {
  nextVersionId: string;
  currentVersionId: string;
  /** Agents the next version applies to while the canary runs. */
  agents: string[];
  windowMs: number;
  startedAt: string;
  status: 'running' | 'reverted' | 'promoted';
  /** Why it was reverted (the rollback trigger), or when it was promoted. */
  detail: string | null;
}

/**
 * Whether an agent is in the canary subset: named in `agents`, or chosen by a stable hash of its id
 * (FNV-1a) below `share`, so the same agents are in it on every worker and every restart. Pure.
 */
export function inCanarySubset(canary: { agents?: string[]; share?: number }, agentId: string): boolean {
  if (canary.agents?.includes(agentId)) return true;
  return canary.share !== undefined && canary.share > 0 && stableShare(agentId) < canary.share;
}

/**
 * The canary subset among the policy's agents. Pure.
 */
export function canaryAgents(policy: LoadedPolicy): string[] {
  const canary = policy.canary;
  if (!canary) return [];
  return Object.keys(policy.agents).filter((a) => inCanarySubset(canary, a));
}

/**
 * Loads the next policy version a policy's `canary.policy` names (relative to the policy file).
 *
 * @returns null when the policy declares no canary.
 * @throws {PolicyError} when the next version is missing or invalid, naming that file.
 */
export function loadCanaryPolicy(current: LoadedPolicy, currentPath: string): LoadedPolicy | null {
  if (!current.canary) return null;
  const path = resolve(dirname(currentPath), current.canary.policy);
  const next = loadPolicyFile(path).policy;
  if (next.versionId === current.versionId) {
    throw new PolicyError(path, [
      { path: '(file)', message: 'the canary policy is the same version as the current one' },
    ]);
  }
  return next;
}
