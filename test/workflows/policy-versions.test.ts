import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPolicyHistoryRecorder, listPolicyVersions } from '../../activities/policy-history-link';
import { runCli } from '../../cli/main';
import { PolicyStore } from '../../policy/store';
import { policyVersionsWorkflowId, recordPolicyVersionSignal } from '../../workflows/policy-version-messages';
import { maybeRecordHistory } from '../helpers/histories';
import { guardedPolicyText, KEYS, policyFileWith, signFile } from '../helpers/signed-policy';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

// Every policy version a worker loads is recorded in `control/<queue>/policy-versions` on the real
// dev server, where a fresh CLI lists it with who, when, hash and diff.
describe('policy version history', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('policy-versions');
  });
  afterAll(async () => stack?.stop());

  it('records each loaded version once, with who, hash and diff, and lists it in a fresh CLI', async () => {
    const path = policyFileWith(guardedPolicyText({ guard: null }));
    const stateDir = mkdtempSync(join(tmpdir(), 'ladder-state-'));
    const recorder = createPolicyHistoryRecorder({ client: stack.client, taskQueue: stack.taskQueue });
    const store = new PolicyStore(path, { stateDir, onChange: (_p, _w, v) => recorder.record(v) });
    recorder.record(store.currentVersion());
    const first = store.current();

    // A signed edit that adds a guard: "who" is the signer, not the process.
    writeFileSync(path, guardedPolicyText({ version: 'guarded-2' }));
    signFile(path, KEYS.admin1);
    expect(store.reload()).toBe(true);
    // A second worker (or a restart) loading the same version is counted, not recorded again.
    recorder.record(new PolicyStore(path, { stateDir }).currentVersion());
    await recorder.flush();
    recorder.close();
    store.close();

    const view = await listPolicyVersions(stack.client, stack.taskQueue, { withDiffs: true });
    expect(view).toMatchObject({ total: 2, kept: 2 });
    const [latest, earliest] = view.versions;
    expect(earliest).toMatchObject({
      seq: 1,
      versionId: first.versionId,
      contentHash: first.contentHash,
      signed: false,
      by: [expect.stringMatching(/^.+@.+$/)],
      previousVersionId: null,
      diff: null,
    });
    expect(latest).toMatchObject({
      seq: 2,
      versionId: store.current().versionId,
      contentHash: store.current().contentHash,
      signed: true,
      by: ['U0ADMIN01 (operator-U0ADMIN01)'],
      previousVersionId: first.versionId,
      linesAdded: 2,
      linesRemoved: 1,
      alsoLoadedBy: 1,
    });
    expect(latest.diff).toContain("-version: 'guarded-1'\n+version: 'guarded-2'\n");
    expect(latest.diff).toContain('+policyGuard: { requireSignatures: 1 }');
    // The compact listing leaves diffs out.
    expect((await listPolicyVersions(stack.client, stack.taskQueue, { limit: 1 })).versions).toEqual([
      expect.objectContaining({ seq: 2, diff: null }),
    ]);

    const saved = { ...process.env };
    const out: string[] = [];
    try {
      process.env.TEMPORAL_ADDRESS = stack.address;
      process.env.LADDER_TASK_QUEUE = stack.taskQueue;
      const code = await runCli(['policy', 'history', '--limit', '5', '--diff'], {
        out: (t) => out.push(t),
        err: (t) => out.push(t),
      });
      expect(code).toBe(0);
    } finally {
      process.env = saved;
    }
    const text = out.join('\n');
    expect(text).toContain(`2 version(s) recorded for task queue "${stack.taskQueue}", newest first:`);
    expect(text).toContain(`#2 ${store.current().versionId}`);
    expect(text).toContain('by U0ADMIN01 (operator-U0ADMIN01) [signed]');
    expect(text).toContain(`sha256 ${store.current().contentHash}`);
    expect(text).toContain(`+2 -1 lines vs ${first.versionId}`);
    expect(text).toContain("      +version: 'guarded-2'");
    expect(text).toContain(`#1 ${first.versionId}`);
    maybeRecordHistory(
      stack.client.workflow.getHandle(policyVersionsWorkflowId(stack.taskQueue)),
      'policyVersions',
      'recorded',
    );
  });

  it('keeps the last 200 versions and continues as new, carrying them', async () => {
    const taskQueue = stack.taskQueue;
    const workflowId = `${policyVersionsWorkflowId(taskQueue)}-bounded`;
    const handle = await stack.client.workflow.start('policyVersions', { workflowId, taskQueue, args: [] });
    const firstRun = handle.firstExecutionRunId;
    for (let i = 1; i <= 205; i++) {
      await handle.signal(recordPolicyVersionSignal, {
        versionId: `v${i}`,
        contentHash: `hash-${i}`,
        version: `v${i}`,
        source: 'policy.yaml',
        loadedAt: new Date().toISOString(),
        by: ['someone@host'],
        signed: false,
        loader: 'someone@host/1',
        previousVersionId: i > 1 ? `v${i - 1}` : null,
        diff: i > 1 ? `-v${i - 1}\n+v${i}\n` : null,
        diffTruncated: false,
        linesAdded: 1,
        linesRemoved: 1,
      });
    }
    const current = stack.client.workflow.getHandle(workflowId);
    await waitUntil(async () => (await current.describe()).runId !== firstRun);
    await waitUntil(
      async () => ((await current.query('policyVersions', { limit: 1 })) as { total: number }).total === 205,
    );
    const view = (await current.query('policyVersions', { limit: 500 })) as {
      total: number;
      kept: number;
      versions: { versionId: string }[];
    };
    expect(view.kept).toBe(200);
    expect(view.versions).toHaveLength(200);
    expect(view.versions[0].versionId).toBe('v205');
    expect(view.versions.at(-1)?.versionId).toBe('v6');
    await current.terminate('test done');
  });
});
