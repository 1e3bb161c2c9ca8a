import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ledgerViewQuery,
  ledgerWorkflowId,
  quotaUsageQuery,
  quotaWorkflowId,
} from '../../workflows/messages';
import { submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

/**
 * "No task fails or stalls because of load" at a scale CI can afford: a burst of tasks of one agent,
 * with its trust ledger and quota ledger in play, all reach an outcome. `npm run bench` runs the
 * full-scale version.
 */
describe('a burst of one agent’s tasks', () => {
  const N = 150;
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('burst', { policy: workflowTestPolicy(), ledger: true });
  });
  afterAll(async () => stack?.stop());

  it(`takes ${N} autonomous tasks submitted at once: every one executes once, counted once`, async () => {
    const firstDay = new Date().toISOString().slice(0, 10);
    const submissions = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        submit(
          stack,
          taskRequest('a3', 'ops', [
            { action: 'file.write', params: { path: `burst/${i}.txt`, content: `${i}\n` } },
          ]),
        ),
      ),
    );
    const results = await Promise.all(submissions.map(({ handle }) => handle.result()));
    expect(results.filter((r) => r.outcome !== 'executed').map((r) => `${r.outcome}: ${r.error}`)).toEqual(
      [],
    );
    for (let i = 0; i < N; i++) {
      const file = join(stack.dirs.workspaceRoot, 'burst', `${i}.txt`);
      expect(existsSync(file) && readFileSync(file, 'utf8')).toBe(`${i}\n`);
    }
    // The quota ledger granted exactly one run per task (over both days, should the burst cross midnight UTC).
    const days = [...new Set([firstDay, new Date().toISOString().slice(0, 10)])];
    const used = await Promise.all(
      days.map((day) =>
        stack.client.workflow
          .getHandle(quotaWorkflowId(stack.taskQueue, 'a3', 'ops', day))
          .query(quotaUsageQuery)
          .then((u) => u.countUsed)
          .catch(() => 0),
      ),
    );
    expect(used.reduce((a, b) => a + b, 0)).toBe(N);
    // The view the decisions read stays small, whatever the burst.
    const view = await stack.client.workflow
      .getHandle(ledgerWorkflowId(stack.taskQueue, 'a3'))
      .query(ledgerViewQuery);
    expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThan(16 * 1024);
  });
});
