import type { Client } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask, TaskValidationError } from '../../client/submit-task';
import { maySubmitFor } from '../../policy/submitters';
import { appendStep, taskRequest, workflowTestPolicy } from '../helpers/tasks';

// Who may submit a task on an agent's behalf: its owner, admins, the class's approvers.
describe('maySubmitFor', () => {
  const policy = workflowTestPolicy();

  it.each([
    ['U0OWNER01', 'a3', 'budget', true], // the agent's owner
    ['U0ADMIN01', 'a3', 'budget', true], // an admin
    ['U0APPR002', 'a3', 'budget', true], // the class's approver
    ['U0APPR001', 'a3', 'ops', true], // an approver through a group
    ['U0APPR001', 'a3', 'budget', false], // an approver of another class only
    ['U0OTHER01', 'a3', 'ops', false],
    ['U0OWNER01', 'nobody', 'ops', false],
  ])('%s for %s in %s → %s', (person, agent, taskClass, allowed) => {
    expect(maySubmitFor(policy, person, agent, taskClass)).toBe(allowed);
  });

  it('is enforced by submitTask for every submitter, agents over the API included, before anything starts', async () => {
    const noTemporal = {} as Client; // refused before any call
    const raw = taskRequest('a3', 'budget', [appendStep('x')], { requester: 'U0OTHER01' });
    const options = { taskQueue: 'unused', policy, actions: createActionRegistry() };
    await expect(submitTask(noTemporal, raw, options)).rejects.toThrow(
      new TaskValidationError([
        "requester: U0OTHER01 may not submit tasks for a3 in budget (the agent's owner, policy admins and the class's approvers may)",
      ]),
    );
  });
});
