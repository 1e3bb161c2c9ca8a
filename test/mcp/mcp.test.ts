import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RunningApi } from '../../api/server';
import { answerTask } from '../../client/answer-task';
import { statusQuery } from '../../workflows/messages';
import { waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { newToken, operatorKey, startApi } from '../api/helpers';

// The MCP server driven by the SDK's own client, over Streamable HTTP (mounted on the API server)
// and over stdio (`node dist/mcp/stdio.js`, a client of the HTTP API holding only the agent's
// token), against the example policy and a real worker.
const STDIO = resolve(__dirname, '..', '..', 'dist', 'mcp', 'stdio.js');

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
const text = (r: unknown): string => (r as ToolResult).content[0].text;

describe('Ladder MCP server', () => {
  let stack: TestStack;
  let api: RunningApi;
  let releaseToken: string;
  let opsToken: string;

  beforeAll(async () => {
    stack = await startTestStack('mcp');
    api = await startApi(stack);
    releaseToken = (await newToken(stack, 'release-agent')).token;
    opsToken = (await newToken(stack, 'ops-agent')).token;
    writeFileSync(join(stack.dirs.workspaceRoot, 'flags.json'), '{"checkout": {"newFlow": false}}\n');
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  /** A config change as release-agent asks for it (rung 3 in staging; production falls back to rung 2). */
  const configChange = (environment: string) => ({
    taskId: `mcp-${randomUUID().slice(0, 8)}`,
    taskClass: 'config-change',
    title: `turn on the new checkout flow in ${environment}`,
    requester: 'U0REL0001',
    environment,
    steps: [{ action: 'config.set', params: { file: 'flags.json', set: { 'checkout.newFlow': true } } }],
  });
  const productionDeploy = () => ({
    taskId: `mcp-deploy-${randomUUID().slice(0, 8)}`,
    taskClass: 'deploy',
    title: 'Deploy payments 2.8.1 to production',
    requester: 'U0SRE0002',
    environment: 'production',
    resource: 'payments',
    steps: [
      {
        action: 'http.request',
        params: {
          method: 'POST',
          url: 'http://127.0.0.1:4100/deploys',
          body: { service: 'payments', version: '2.8.1' },
        },
      },
    ],
  });

  async function connect(kind: 'http' | 'stdio', token: string): Promise<Client> {
    const client = new Client({ name: 'ladder-test', version: '1.0.0' });
    if (kind === 'http') {
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
    } else {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [STDIO],
          // Only the API's URL and the agent's token: no Temporal address, nothing else.
          env: { PATH: process.env.PATH ?? '', LADDER_API_URL: api.url, LADDER_AGENT_TOKEN: token },
          stderr: 'pipe',
        }),
      );
    }
    return client;
  }

  for (const kind of ['http', 'stdio'] as const) {
    describe(`over ${kind === 'http' ? 'Streamable HTTP' : 'stdio'}`, () => {
      let release: Client;
      beforeAll(async () => {
        release = await connect(kind, releaseToken);
      });
      afterAll(async () => {
        await release?.close();
      });

      it('lists the tools', async () => {
        const { tools } = await release.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual([
          'cancel_task',
          'get_task',
          'my_rungs',
          'request_action',
          'wait_for_task',
        ]);
        const request = tools.find((t) => t.name === 'request_action')!;
        expect(Object.keys(request.inputSchema.properties ?? {})).not.toContain('agent');
      });

      it('runs a rung-3 task and returns its result', async () => {
        const r = await release.callTool({ name: 'request_action', arguments: configChange('staging') });
        expect((r as ToolResult).isError).toBeFalsy();
        expect(text(r)).toMatch(/effective rung 3 \(bounded\)/);
        expect(text(r)).toMatch(/Finished: executed at rung 3; 1 step\(s\) executed/);
      });

      it('asks for approval of a production deploy and says so, with the handle', async () => {
        const task = productionDeploy();
        const r = await release.callTool({ name: 'request_action', arguments: task });
        expect(text(r)).toContain('[pin:production-deploys] ≤ 2');
        expect(text(r)).toContain(`Waiting for approval`);
        expect(text(r)).toContain(`Handle: ${task.taskId}`);
        await waitForStatus(
          stack.client.workflow.getHandle(`task/release-agent/${task.taskId}`),
          (s) => s.phase === 'awaiting-human',
        );
        const got = await release.callTool({ name: 'get_task', arguments: { task_id: task.taskId } });
        expect(text(got)).toContain('awaiting-human');
        const cancelled = await release.callTool({
          name: 'cancel_task',
          arguments: { task_id: task.taskId },
        });
        expect(text(cancelled)).toMatch(/^Cancellation requested/);
        const waited = await release.callTool({
          name: 'wait_for_task',
          arguments: { task_id: task.taskId, timeout_seconds: 30 },
        });
        expect(text(waited)).toContain('Finished: cancelled');
      });

      it('returns the final result from wait_for_task once an approver approves', async () => {
        const task = configChange('production'); // outside the bounds: falls back to rung 2
        const r = await release.callTool({ name: 'request_action', arguments: task });
        expect(text(r)).toContain('Waiting for approval');
        const workflowId = `task/release-agent/${task.taskId}`;
        const handle = stack.client.workflow.getHandle(workflowId);
        await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
        const { stepsHash } = await handle.query(statusQuery);
        const answered = await answerTask(
          stack.client,
          workflowId,
          'U0SRE0001',
          { kind: 'approve', stepsHash },
          operatorKey('U0SRE0001'),
        );
        expect(answered.ok).toBe(true);
        const waited = await release.callTool({
          name: 'wait_for_task',
          arguments: { task_id: task.taskId, timeout_seconds: 30 },
        });
        expect(text(waited)).toContain(
          'Finished: executed at rung 2; 1 step(s) executed; approved by U0SRE0001',
        );
      });

      it("reports another agent's task and bad input in the HTTP problem's words", async () => {
        const ops = await connect(kind, opsToken);
        try {
          const task = productionDeploy();
          await release.callTool({ name: 'request_action', arguments: task });
          const peek = await ops.callTool({ name: 'get_task', arguments: { task_id: task.taskId } });
          expect(peek).toMatchObject({ isError: true });
          expect(text(peek)).toBe(`Not found: you have no task "${task.taskId}"`);
          const bad = await ops.callTool({
            name: 'request_action',
            arguments: { ...configChange('staging'), taskClass: 'nope' },
          });
          expect(bad).toMatchObject({ isError: true });
          expect(text(bad)).toMatch(
            /^Invalid request: the task was NOT submitted: fix the fields named in errors\n {2}- taskClass: unknown task class "nope"/,
          );
          await release.callTool({ name: 'cancel_task', arguments: { task_id: task.taskId } });
        } finally {
          await ops.close();
        }
      });

      it('shows the agent its rungs', async () => {
        const r = await release.callTool({ name: 'my_rungs', arguments: {} });
        expect(text(r)).toMatch(/^release-agent \(owner U0REL0001/);
        expect(text(r)).toContain('deploy: rung 4 (rollback)');
      });
    });
  }

  it('refuses an MCP connection without a valid token', async () => {
    const client = new Client({ name: 'ladder-test', version: '1.0.0' });
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
          requestInit: { headers: { authorization: 'Bearer ldr_0000000000000000_' + 'x'.repeat(43) } },
        }),
      ),
    ).rejects.toThrow(/401/);
  });
});
