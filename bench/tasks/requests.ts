import type { Notification } from '../../activities/notify/notifier';
import { temporalUiLink } from '../../policy/slack-ids';
import type { BaselineTaskInput } from '../baseline/workflows';
import { BENCH } from './policy';

/** The one step every bench task runs: a small file written inside the side's workspace. */
export function fileStep(path: string): { action: 'file.write'; params: { path: string; content: string } } {
  return {
    action: 'file.write',
    params: { path, content: `written by bench:tasks for ${path}\n` },
  };
}

/** The body an agent sends to `POST /v1/tasks` (the agent is whoever the token belongs to). Pure. */
export function apiTaskBody(taskId: string, path: string) {
  return {
    taskId,
    taskClass: BENCH.autonomousClass,
    title: `bench ${taskId}`,
    requester: BENCH.owner,
    environment: BENCH.environment,
    steps: [fileStep(path)],
  };
}

/**
 * A full task request for `submitTask` (the TypeScript client). Pure.
 *
 * @param kind - `autonomous` (rung 3, requested by the agent's owner) or `confirm` (rung 2).
 */
export function clientTaskRequest(taskId: string, path: string, kind: 'autonomous' | 'confirm') {
  const autonomous = kind === 'autonomous';
  return {
    taskId,
    agent: {
      id: autonomous ? BENCH.autonomousAgent : BENCH.confirmAgent,
      model: BENCH.model,
      promptVersion: BENCH.promptVersion,
    },
    taskClass: autonomous ? BENCH.autonomousClass : BENCH.confirmClass,
    title: `bench ${taskId}`,
    requester: autonomous ? BENCH.owner : BENCH.confirmOwner,
    environment: BENCH.environment,
    steps: [fileStep(path)],
  };
}

/**
 * The baseline's input: the same step, and the message Ladder posts for an autonomous task
 * (kind, fields and a Temporal UI link alike), to the baseline's own channel. Pure.
 */
export function baselineInput(workflowId: string, path: string, policyVersion: string): BaselineTaskInput {
  const title = `bench ${workflowId}`;
  const notification: Notification = {
    kind: 'executed',
    workflowId,
    agentId: BENCH.autonomousAgent,
    taskClass: BENCH.autonomousClass,
    channel: BENCH.baselineChannel,
    title,
    text: `Executed on my own (rung 3): ${title}`,
    fields: {
      rung: '3',
      environment: BENCH.environment,
      requester: BENCH.owner,
      policy: policyVersion,
    },
    link: temporalUiLink('http://localhost:8233', 'default', workflowId),
  };
  return { step: fileStep(path), notification };
}
