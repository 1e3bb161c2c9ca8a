import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask, type Submission } from '../../client/submit-task';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { statusQuery, type TaskStatus } from '../../workflows/messages';
import type { TestStack } from './temporal';

/** The task workflow tests' policy: one agent per rung, second-long timers on class `fast`. */
export function workflowTestPolicy(): LoadedPolicy {
  return loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml')).policy;
}

/** A valid task request for `agent` in `taskClass`, requested by U0APPR001 in staging. */
export function taskRequest(
  agent: string,
  taskClass: string,
  steps: { action: string; params: Record<string, unknown>; costUsd?: number }[],
  extra: Record<string, unknown> = {},
) {
  return {
    taskId: `t-${randomUUID().slice(0, 12)}`,
    agent: { id: agent, model: 'm', promptVersion: 'p' },
    taskClass,
    title: `${agent} ${taskClass} test task`,
    requester: 'U0APPR001',
    environment: 'staging',
    steps,
    ...extra,
  };
}

/** Submits through the real client function against the stack's task queue. */
export function submit(stack: TestStack, raw: unknown): Promise<Submission> {
  return submitTask(stack.client, raw, {
    taskQueue: stack.taskQueue,
    policy: stack.policy.current,
    actions: createActionRegistry(),
  });
}

/** Polls the status query until `predicate` holds (a condition wait, not a fixed sleep). */
export async function waitForStatus(
  handle: WorkflowHandle,
  predicate: (s: TaskStatus) => boolean,
  timeoutMs = 60_000,
): Promise<TaskStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskStatus | undefined;
  for (;;) {
    try {
      last = await handle.query(statusQuery);
    } catch (err) {
      // No worker polls for a moment (a test restarting one): ask again until the deadline.
      if (!/no poller seen/.test(String((err as Error)?.cause ?? err)) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (predicate(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`status condition not met in ${timeoutMs} ms; last status: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A shell step that appends `word` to effects.log in the sandbox: effects are counted by reading it. */
export function appendStep(word: string, undo?: string) {
  return {
    action: 'shell.exec',
    params: { command: `echo ${word} >> effects.log`, ...(undo ? { undo } : {}) },
  };
}
