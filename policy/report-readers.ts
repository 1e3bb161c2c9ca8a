import type { LoadedPolicy } from './loader';
import { own } from './own';
import { isSlackUserId } from './slack-ids';
import type { TaskRequest } from './task';

/**
 * The people who may mark a task's report read, from its class's `report.readers`: the agent's
 * owner, the requester, the class's approvers, the escalation chain's people, or named users.
 */
export function reportReadersOf(
  policy: LoadedPolicy,
  task: Pick<TaskRequest, 'taskClass' | 'requester'>,
  owner: string | null,
): string[] {
  const taskClass = own(policy.taskClasses, task.taskClass);
  if (!taskClass?.report) return [];
  const readers = new Set<string>();
  for (const who of taskClass.report.readers) {
    if (who === 'owner') {
      if (owner) readers.add(owner);
    } else if (who === 'requester') readers.add(task.requester);
    else if (who === 'approvers')
      (own(policy.approversByClass, task.taskClass) ?? []).forEach((u) => readers.add(u));
    else if (who === 'escalation') {
      for (const step of taskClass.escalation) {
        if (step.notify === 'owner' && owner) readers.add(owner);
        else if (isSlackUserId(step.notify)) readers.add(step.notify);
      }
    } else readers.add(who);
  }
  return [...readers];
}
