import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AgentApi } from '../api/agent-api';
import { ApiProblem } from '../api/problem';
import { submitTaskBodySchema, type TaskView } from '../api/schemas';
import { RUNG_NAMES } from '../policy/schema';

// The MCP face of the agent API. It takes an AgentApi, so the same tools run inside the API process
// (calling the service directly) and in the stdio server (calling the HTTP API with the agent's
// token): the stdio server never holds Temporal credentials.

/** Seconds `request_action` waits for a result before answering with the task's handle. */
const SHORT_WAIT_SECONDS = 5;

const rung = (r: number | null): string => (r === null ? '-' : `${r} (${RUNG_NAMES[r] ?? '?'})`);

/** A task in words an agent acts on: its rung and why, then how it ended or what it waits for. */
export function describeTask(t: TaskView): string {
  const lines = [`Task ${t.taskId}: ${t.phase}, rung ${rung(t.rung)}`];
  if (t.decision) {
    if (t.decision.refused) lines.push(`Refused: ${t.decision.refused.message}`);
    lines.push(
      `Decision: earned rung ${rung(t.decision.earnedRung)}, effective rung ${rung(t.decision.effectiveRung)} (policy ${t.decision.policyVersion})`,
    );
    for (const r of t.decision.reasons) lines.push(`  - [${r.rule}] ≤ ${r.ceiling}: ${r.message}`);
  }
  if (t.done && t.result) {
    lines.push(
      `Finished: ${t.result.outcome} at rung ${t.result.rung}; ${t.result.executedSteps} step(s) executed${t.result.approvedBy ? `; approved by ${t.result.approvedBy}` : ''}${t.result.error ? `; ${t.result.error}` : ''}`,
    );
  } else if (t.rung === 2 && !t.decision?.refused) {
    // Rung 2 always waits for an approver; say so even while the workflow is still posting the request.
    lines.push(
      `Waiting for approval (${t.waitingOn ?? 'approvers'}). Handle: ${t.taskId}; call wait_for_task with it to get the result.`,
    );
  } else if (t.waitingOn) {
    lines.push(
      `Waiting for ${t.waitingOn}. Handle: ${t.taskId}; call wait_for_task with it to get the result.`,
    );
  } else {
    lines.push(`Still running. Handle: ${t.taskId}; call wait_for_task with it to get the result.`);
  }
  for (const e of t.events) lines.push(`  · ${e}`);
  return lines.join('\n');
}

/** A problem in the same words as the HTTP API's problem details. */
export function problemText(p: ApiProblem): string {
  return [`${p.title}: ${p.detail}`, ...(p.errors ?? []).map((e) => `  - ${e.path}: ${e.message}`)].join(
    '\n',
  );
}

const ok = (text: string, data: unknown): CallToolResult => ({
  content: [
    { type: 'text', text },
    { type: 'text', text: JSON.stringify(data) },
  ],
});

async function run(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiProblem)
      return { isError: true, content: [{ type: 'text', text: problemText(err) }] };
    throw err;
  }
}

const taskIdArg = z.string().min(1).describe('the task handle: the taskId you submitted');

/** The tools {@link createLadderMcpServer} registers, by name. */
export const LADDER_TOOLS = [
  'request_action',
  'wait_for_task',
  'get_task',
  'cancel_task',
  'my_rungs',
] as const;

/**
 * Builds an MCP server with Ladder's agent tools bound to one agent's {@link AgentApi}.
 *
 * Tools: `request_action`, `wait_for_task`, `get_task`, `cancel_task`, `my_rungs`.
 */
export function createLadderMcpServer(api: AgentApi): McpServer {
  const server = new McpServer({ name: 'ladder', version: '1.0.0' });

  server.registerTool(
    'request_action',
    {
      title: 'Request an action',
      description:
        'Ask Ladder to run a task. Returns the decision (the rung and why), then the result if it finished within a few seconds, or "waiting for approval" with the task handle for wait_for_task.',
      // Strict objects, not shapes, for every tool: a shape is parsed loosely, so an unknown or
      // misspelt field (`requestedrung`) would be dropped and the task run as if not asked.
      inputSchema: submitTaskBodySchema,
    },
    (args) =>
      run(async () => {
        const submitted = await api.submit(args);
        let task = submitted.task;
        // Rungs 0-2 wait for a person, so waiting here is pointless; rung 3+ usually ends in moments.
        const autonomous = (task.decision?.effectiveRung ?? 0) >= 3 && !task.decision?.refused;
        if (!task.done && autonomous) task = await api.wait(task.taskId, SHORT_WAIT_SECONDS);
        const prefix = submitted.existing ? 'Already submitted before; nothing new started.\n' : '';
        return ok(prefix + describeTask(task), task);
      }),
  );

  server.registerTool(
    'wait_for_task',
    {
      title: 'Wait for a task',
      description:
        'Wait up to timeout_seconds (default 25) for a task to finish; returns its result or its current status.',
      inputSchema: z.strictObject({
        task_id: taskIdArg,
        timeout_seconds: z.int().min(1).max(60).optional().describe('seconds to wait, 1-60 (default 25)'),
      }),
    },
    ({ task_id, timeout_seconds }) =>
      run(async () => {
        const task = await api.wait(task_id, timeout_seconds ?? 25);
        return ok(describeTask(task), task);
      }),
  );

  server.registerTool(
    'get_task',
    {
      title: 'Get a task',
      description: "A task's status, decision and result.",
      inputSchema: z.strictObject({ task_id: taskIdArg }),
    },
    ({ task_id }) =>
      run(async () => {
        const task = await api.get(task_id);
        return ok(describeTask(task), task);
      }),
  );

  server.registerTool(
    'cancel_task',
    {
      title: 'Cancel a task',
      description:
        'Withdraw a task of yours while it is decided or waits for a person; once its steps start, only a person can stop it.',
      inputSchema: z.strictObject({ task_id: taskIdArg }),
    },
    ({ task_id }) =>
      run(async () => {
        const task = await api.cancel(task_id);
        return ok(`Cancellation requested.\n${describeTask(task)}`, task);
      }),
  );

  server.registerTool(
    'my_rungs',
    {
      title: 'My rungs',
      description: 'Your rung per task class and what you still need for the next one.',
      inputSchema: z.strictObject({}),
    },
    () =>
      run(async () => {
        const view = await api.rungs();
        const lines = [`${view.agentId} (owner ${view.owner}, policy ${view.policyVersion})`];
        for (const c of view.classes) {
          lines.push(
            `  ${c.taskClass}: rung ${rung(c.rung)}${c.declared ? ' (declared)' : ''}, class cap ${c.cap}`,
          );
          if (!c.next) lines.push('    at the top of the ladder');
          else if (c.next.proposal)
            lines.push(
              `    promotion to ${c.next.rung} proposed, waiting for ${c.next.proposal.approvers.join(', ')}`,
            );
          else
            for (const m of c.next.missing)
              lines.push(`    for rung ${c.next.rung}, missing ${m.criterion}: ${m.detail}`);
        }
        return ok(lines.join('\n'), view);
      }),
  );
  return server;
}
