import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask } from '../../client/submit-task';
import { taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';

// The summary is shown as Markdown in the Temporal UI: an agent's title must arrive there inert.
// No worker polls this queue: only the started workflow's metadata is read, then it is terminated.
describe('submitTask: the workflow summary the Temporal UI shows', () => {
  let connection: Connection;
  let client: Client;
  const taskQueue = `test-summary-${randomUUID().slice(0, 8)}`;
  const policy = workflowTestPolicy();

  beforeAll(async () => {
    connection = await Connection.connect({ address: testServerAddress() });
    client = new Client({ connection, namespace: 'default' });
  });
  afterAll(() => connection.close());

  async function summaryOf(title: string): Promise<string | undefined> {
    const raw = taskRequest('a0', 'ops', [{ action: 'shell.exec', params: { command: 'true' } }], { title });
    const { handle } = await submitTask(client, raw, { taskQueue, policy, actions: createActionRegistry() });
    try {
      return await (await handle.describe()).staticSummary();
    } finally {
      await handle.terminate('test done');
    }
  }

  it('escapes link, image, autolink and HTML syntax in the title', async () => {
    const summary = await summaryOf(
      'Fix [login](https://evil.example) ![t](http://t.example/p.png) <b>now</b> www.evil.example',
    );
    expect(summary).toBe(
      'a0 · ops · staging: Fix \\[login\\]\\(https\\://evil.example\\) \\!\\[t\\]\\(http\\://t.example/p.png\\) \\<b\\>now\\</b\\> www\\.evil.example',
    );
  });

  it('stays within Temporal’s 400-byte summary limit for the longest title a task may have', async () => {
    const summary = await summaryOf('[]'.repeat(100));
    expect(summary!.endsWith('…')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(summary), 'utf8')).toBeLessThanOrEqual(400);
  });
});
