import type { LoadedPolicy } from './loader';

/**
 * Whether `person` may submit a task on `agentId`'s behalf in `taskClass`: the agent's owner, the
 * policy's admins, and the class's approvers (groups expanded). Anyone else could otherwise put an
 * agent to work in a class nobody accountable for it asked for. Pure.
 */
export function maySubmitFor(
  policy: Pick<LoadedPolicy, 'admins' | 'agents' | 'approversByClass'>,
  person: string,
  agentId: string,
  taskClass: string,
): boolean {
  return (
    policy.agents[agentId]?.owner === person ||
    policy.admins.includes(person) ||
    (policy.approversByClass[taskClass] ?? []).includes(person)
  );
}

/** Who {@link maySubmitFor} allows, in words for a refusal. */
export const SUBMITTERS_RULE = "the agent's owner, policy admins and the class's approvers may";
