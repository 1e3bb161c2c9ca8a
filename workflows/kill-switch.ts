import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { workflowNowIso } from './clock';
import {
  capClassSignal,
  freezeSignal,
  killSwitchQuery,
  uncapClassSignal,
  unfreezeSignal,
  type KillSwitchState,
} from './messages';

/**
 * The run-time kill switch of one deployment (`control/<queue>/kill-switch`): freezes and
 * unfreezes arrive as signals, the decision activities read it by query. Long-lived; continues as
 * new before its history grows large, carrying its state.
 */
export async function killSwitch(initial?: KillSwitchState): Promise<void> {
  const state: KillSwitchState = initial ?? { all: null, agents: {} };
  let changes = 0;
  setHandler(killSwitchQuery, () => state);
  setHandler(freezeSignal, (freeze) => {
    const entry = { ...freeze, at: workflowNowIso() };
    if (freeze.agentId === undefined) state.all = entry;
    else state.agents[freeze.agentId] = entry;
    changes++;
  });
  setHandler(unfreezeSignal, ({ agentId }) => {
    if (agentId === undefined) state.all = null;
    else delete state.agents[agentId];
    changes++;
  });
  // A class rollback trigger reduces a task class's scope for every agent; a lower cap wins.
  setHandler(capClassSignal, (cap) => {
    state.classes ??= {};
    const current = state.classes[cap.taskClass];
    if (!current || cap.cap < current.cap) state.classes[cap.taskClass] = { ...cap, at: workflowNowIso() };
    changes++;
  });
  setHandler(uncapClassSignal, ({ taskClass }) => {
    if (state.classes) delete state.classes[taskClass];
    changes++;
  });
  // Nothing to do but answer queries and take signals; roll the history over now and then.
  await condition(() => changes >= 500 || workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof killSwitch>(state);
}
