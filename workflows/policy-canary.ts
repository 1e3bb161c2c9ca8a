import { condition, setHandler } from '@temporalio/workflow';
import type { CanaryState } from '../policy/canary';
import { workflowNowIso } from './clock';
import { canaryQuery, canaryTriggerSignal, type CanaryInput } from './messages';

/**
 * A new policy version's canary (`canary/<queue>/<nextVersionId>`): the next version applies to
 * the canary agents for the window; a rollback trigger for one of them during the window reverts
 * it at once; a clean window promotes it to every agent. The decision activities read the state by
 * query (also after the workflow has completed).
 */
export async function policyCanary(input: CanaryInput): Promise<CanaryState> {
  const state: CanaryState = {
    nextVersionId: input.nextVersionId,
    currentVersionId: input.currentVersionId,
    agents: input.agents,
    windowMs: input.windowMs,
    startedAt: workflowNowIso(),
    status: 'running',
    detail: null,
  };
  setHandler(canaryQuery, () => state);
  setHandler(canaryTriggerSignal, ({ agentId, cause }) => {
    if (state.status !== 'running') return;
    state.status = 'reverted';
    state.detail = `${agentId}: ${cause} (${workflowNowIso()})`;
  });
  const reverted = await condition(() => state.status !== 'running', input.windowMs);
  if (!reverted) {
    state.status = 'promoted';
    state.detail = `clean for the whole window; promoted at ${workflowNowIso()}`;
  }
  return state;
}
