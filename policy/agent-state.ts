import type { AgentState } from './decide';
import type { LedgerView } from './ledger';
import type { LoadedPolicy } from './loader';
import { own } from './own';
import type { Rung } from './schema';
import { killSwitchCapFor, type KillSwitchState } from '../workflows/messages';

/**
 * What `decide()` knows of an agent: its earned rungs (the policy's declared ones, overridden by
 * its trust ledger's), an admin's freeze and the class caps from the kill switch. Pure.
 *
 * @param view - the agent's compact ledger view; null when it has no ledger yet; undefined when
 *   this process keeps no ledgers (then only the declared rungs count, and without caps the
 *   answer is null: nothing beyond the policy).
 * @param running - the model and prompt version of the task being decided: when they differ from
 *   those the rungs were earned with, every earned rung is capped at the policy's
 *   `demotion.environmentChangeRung` at once (the ledger demotes too, a moment later).
 */
export function agentStateFrom(
  policy: LoadedPolicy,
  agentId: string,
  view: LedgerView | null | undefined,
  killSwitch: KillSwitchState | null | undefined,
  running?: { model: string; promptVersion: string },
): AgentState | null {
  const freezeCap = killSwitch ? killSwitchCapFor(killSwitch, agentId) : undefined;
  const classCaps = Object.fromEntries(
    Object.entries(killSwitch?.classes ?? {}).map(([c, v]) => [c, v.cap as Rung]),
  );
  const caps = {
    ...(freezeCap !== undefined ? { killSwitchCap: freezeCap as Rung } : {}),
    ...(Object.keys(classCaps).length > 0 ? { classCaps } : {}),
  };
  const declared: Partial<Record<string, Rung>> = { ...(own(policy.agents, agentId)?.rungs ?? {}) };
  if (view === undefined) return Object.keys(caps).length === 0 ? null : { earnedRungs: declared, ...caps };
  const earned: Partial<Record<string, Rung>> = { ...declared, ...(view?.rungs ?? {}) };
  const changed =
    running !== undefined &&
    view?.model != null &&
    (view.model !== running.model || view.promptVersion !== running.promptVersion);
  if (changed) {
    const cap = policy.demotion.environmentChangeRung;
    for (const k of Object.keys(earned)) earned[k] = Math.min(earned[k] ?? 0, cap) as Rung;
  }
  return { earnedRungs: earned, ...caps };
}
