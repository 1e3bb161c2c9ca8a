import type { Notification } from '../../activities/notify/notifier';
import { temporalUiLink } from '../../policy/slack-ids';
import { stepsHash } from '../../client/submit-task';
import type { BaselineReportInput, BaselineTaskInput } from '../baseline/workflows';
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

/** What a bench task is for: rung 3 on its own, rung 2 approved first, or rung 5 reported after. */
export type TaskKind = 'autonomous' | 'confirm' | 'report';

/** The agent, class and requester of each kind of bench task. */
const KINDS: Record<TaskKind, { agent: string; taskClass: string; requester: string }> = {
  autonomous: { agent: BENCH.autonomousAgent, taskClass: BENCH.autonomousClass, requester: BENCH.owner },
  confirm: { agent: BENCH.confirmAgent, taskClass: BENCH.confirmClass, requester: BENCH.confirmOwner },
  report: { agent: BENCH.reportAgent, taskClass: BENCH.reportClass, requester: BENCH.owner },
};

/** The agent whose tasks of `kind` the bench submits. Pure. */
export function agentOf(kind: TaskKind): string {
  return KINDS[kind].agent;
}

/**
 * A full task request for `submitTask` (the TypeScript client): rung 3 (`autonomous`, requested by
 * the agent's owner), rung 2 (`confirm`) or rung 5 (`report`). Pure.
 */
export function clientTaskRequest(taskId: string, path: string, kind: TaskKind) {
  const { agent, taskClass, requester } = KINDS[kind];
  return {
    taskId,
    agent: { id: agent, model: BENCH.model, promptVersion: BENCH.promptVersion },
    taskClass,
    title: `bench ${taskId}`,
    requester,
    environment: BENCH.environment,
    steps: [fileStep(path)],
  };
}

/**
 * The baseline's input: the same step, and the message Ladder posts for an autonomous task
 * (kind, fields and a Temporal UI link alike), to the baseline's own channel. Pure.
 */
export function baselineInput(workflowId: string, path: string, policyVersion: string): BaselineTaskInput {
  return {
    step: fileStep(path),
    notification: baselineMessage(workflowId, 'executed', `Executed on my own (rung 3)`, policyVersion),
  };
}

/** A message of the baseline about `workflowId`, shaped as Ladder's are (fields, link), in its own channel. */
function baselineMessage(
  workflowId: string,
  kind: Notification['kind'],
  what: string,
  policyVersion: string,
  extra: Partial<Notification> = {},
): Notification {
  const title = `bench ${workflowId}`;
  const { fields, ...rest } = extra;
  return {
    kind,
    workflowId,
    agentId: BENCH.autonomousAgent,
    taskClass: BENCH.autonomousClass,
    channel: BENCH.baselineChannel,
    title,
    text: `${what}: ${title}`,
    fields: {
      rung: '3',
      environment: BENCH.environment,
      requester: BENCH.owner,
      policy: policyVersion,
      ...fields,
    },
    link: temporalUiLink('http://localhost:8233', 'default', workflowId),
    ...rest,
  };
}

/**
 * The bare approval workflow's input: the request it posts first (with Approve and Reject, and the
 * steps' hash, as Ladder's rung-2 request carries them), then the step and the message after it.
 * Pure.
 */
export function baselineApprovalInput(
  workflowId: string,
  path: string,
  policyVersion: string,
): BaselineTaskInput {
  const step = fileStep(path);
  return {
    ...baselineInput(workflowId, path, policyVersion),
    request: baselineMessage(
      workflowId,
      'approval-request',
      'Needs your approval before it runs',
      policyVersion,
      {
        fields: { stepsHash: stepsHash([step]), approvers: BENCH.approver },
        actions: ['approve', 'reject'],
      },
    ),
  };
}

/**
 * The bare report workflow's input: the step, its report (with Mark read), and the ping it posts
 * when the report is still unread `escalateAfterMs` later. Pure.
 */
export function baselineReportInput(
  workflowId: string,
  path: string,
  policyVersion: string,
  escalateAfterMs: number,
): BaselineReportInput {
  return {
    step: fileStep(path),
    notification: baselineMessage(workflowId, 'report', 'Done on my own (rung 5)', policyVersion, {
      actions: ['mark-read'],
    }),
    escalateAfterMs,
    escalation: baselineMessage(workflowId, 'report-escalation', 'Unread report', policyVersion, {
      to: BENCH.owner,
    }),
  };
}
