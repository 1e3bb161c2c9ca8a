import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RunningApi } from '../../api/server';
import { loadPolicyFile } from '../../policy/loader';
import { EXAMPLE_POLICY } from '../helpers/example-policy';
import { ephemeralsFor, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { waitForStatus } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';
import { newToken, startApi } from '../api/helpers';

// The whole path a coding agent takes, end to end: the SDK's own MCP client with nothing but its
// token asks for a production change, is told it waits for approval, a person clicks Approve in
// the (emulated) Slack, and the agent's wait returns the result. Real dev server, worker, Bolt app.
type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
const text = (r: unknown): string => (r as ToolResult).content[0].text;

describe('an MCP client waits for a Slack approval', () => {
  let rig: SlackRig;
  let api: RunningApi;
  let agent: Client;

  beforeAll(async () => {
    rig = await startSlackRig('mcp-slack', loadPolicyFile(EXAMPLE_POLICY).policy);
    api = await startApi(rig.stack);
    const { token } = await newToken(rig.stack, 'release-agent');
    writeFileSync(join(rig.stack.dirs.workspaceRoot, 'flags.json'), '{"checkout": {"newFlow": false}}\n');
    agent = new Client({ name: 'coding-agent', version: '1.0.0' });
    await agent.connect(
      new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
  });
  afterAll(async () => {
    await agent?.close();
    await api?.close();
    await rig?.stop();
  });

  it('lists the tools, requests a production change, and receives the result once a person approves in Slack', async () => {
    const { tools } = await agent.listTools();
    expect(tools.map((t) => t.name)).toContain('request_action');

    const taskId = `mcp-slack-${randomUUID().slice(0, 8)}`;
    const requested = await agent.callTool({
      name: 'request_action',
      arguments: {
        taskId,
        taskClass: 'config-change',
        title: 'turn on the new checkout flow in production',
        requester: 'U0REL0001',
        environment: 'production', // outside the class's bounds: confirmation by a person
        steps: [{ action: 'config.set', params: { file: 'flags.json', set: { 'checkout.newFlow': true } } }],
      },
    });
    expect((requested as ToolResult).isError).toBeFalsy();
    expect(text(requested)).toContain('Waiting for approval');
    expect(text(requested)).toContain(`Handle: ${taskId}`);

    const workflowId = `task/release-agent/${taskId}`;
    await waitForStatus(rig.stack.client.workflow.getHandle(workflowId), (s) => s.phase === 'awaiting-human');
    // The agent waits as a coding agent would, while a person looks at Slack.
    const waiting = agent.callTool(
      { name: 'wait_for_task', arguments: { task_id: taskId, timeout_seconds: 60 } },
      undefined,
      { timeout: 90_000 },
    );

    const request = await waitForMessage(rig.emulator, '#ops', (m) => m.text.includes('new checkout flow'));
    // Someone outside the class's approvers is refused; an SRE's click releases the step.
    await rig.emulator.click('U0SUP0001', '#ops', request.ts, 'ladder_approve');
    await waitUntil(() =>
      ephemeralsFor(rig.emulator, '#ops', 'U0SUP0001').some((t) =>
        t.startsWith('Refused: U0SUP0001 is not an approver'),
      ),
    );
    await rig.emulator.click('U0SRE0001', '#ops', request.ts, 'ladder_approve');

    const result = await waiting;
    expect((result as ToolResult).isError).toBeFalsy();
    expect(text(result)).toContain('Finished: executed at rung 2; 1 step(s) executed; approved by U0SRE0001');
  });
});
