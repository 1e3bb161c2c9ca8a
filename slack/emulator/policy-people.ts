import type { LoadedPolicy } from '../../policy/loader';

/**
 * The people and channels a policy names, so the emulator's page can offer to act as any of them
 * and show every task class's channel from the start. Pure.
 */
export function policyPeopleAndChannels(policy: LoadedPolicy): {
  users: { id: string; name: string; label: string }[];
  channels: string[];
} {
  const roles = new Map<string, Set<string>>();
  const add = (id: string, role: string): void => {
    if (!roles.has(id)) roles.set(id, new Set());
    roles.get(id)!.add(role);
  };
  for (const id of policy.admins) add(id, 'admin');
  for (const [cls, ids] of Object.entries(policy.approversByClass))
    for (const id of ids) add(id, `approves ${cls}`);
  for (const [agent, a] of Object.entries(policy.agents)) add(a.owner, `owns ${agent}`);
  for (const [name, cls] of Object.entries(policy.taskClasses))
    for (const id of cls.owners ?? []) add(id, `owns class ${name}`);
  for (const cls of Object.values(policy.taskClasses))
    for (const step of cls.escalation) if (/^[UW]/.test(step.notify)) add(step.notify, 'escalation');
  // Groups a request escalates to, and out-of-office stand-ins, answer too: the page must offer them.
  for (const [group, members] of Object.entries(policy.groups))
    for (const id of members) add(id, `in group ${group}`);
  for (const [approver, standIns] of Object.entries(policy.delegation?.standIns ?? {}))
    for (const id of standIns) add(id, `stands in for ${approver}`);
  const channels = new Set<string>(['#general']);
  for (const cls of Object.values(policy.taskClasses)) {
    channels.add(cls.channel);
    if (cls.report) channels.add(cls.report.channel);
  }
  return {
    users: [...roles.entries()].map(([id, r]) => ({
      id,
      name: id.toLowerCase(),
      label: `${id} — ${[...r].slice(0, 3).join(', ')}`,
    })),
    channels: [...channels],
  };
}
