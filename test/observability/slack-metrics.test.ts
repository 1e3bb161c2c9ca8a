import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACTION_IDS } from '../../slack/action-ids';
import { buttonValue } from '../../slack/blocks/button-value';
import { policyPeopleAndChannels } from '../../slack/emulator/policy-people';
import { startSlackEmulator, type SlackEmulator } from '../../slack/emulator/server';
import { freePort } from '../helpers/ports';
import { spawnNode, type Spawned } from '../helpers/processes';
import { scrape, type Family } from '../helpers/prometheus-text';
import { workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

const SLACK_APP = resolve(__dirname, '..', '..', 'dist', 'slack', 'main.js');

const samplesOf = (families: Map<string, Family>, name: string) =>
  (families.get(name)?.samples ?? []).map((s): Record<string, string | number> => ({
    ...s.labels,
    value: s.value,
  }));

// The built Slack app process (node dist/slack/main.js) answering the emulator's signed requests:
// its /metrics times every ack by kind and counts Web API calls that failed, by method.
describe("the Slack app's /metrics", () => {
  let emulator: SlackEmulator;
  let app: Spawned;
  let metricsUrl: string;
  const user = 'U0APPR001';

  beforeAll(async () => {
    const signingSecret = randomBytes(16).toString('hex');
    // Slack's own rate limits off: the test injects the one refusal it counts.
    emulator = await startSlackEmulator({
      port: 0,
      rateLimits: false,
      ...policyPeopleAndChannels(workflowTestPolicy()),
    });
    const [appPort, metricsPort] = [await freePort(), await freePort()];
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    app = spawnNode(SLACK_APP, {
      TEMPORAL_ADDRESS: testServerAddress(),
      LADDER_TASK_QUEUE: `slack-metrics-${randomUUID().slice(0, 8)}`,
      LADDER_POLICY_PATH: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      LADDER_STATE_DIR: mkdtempSync(join(tmpdir(), 'ladder-slack-metrics-')),
      LADDER_SLACK_PORT: String(appPort),
      LADDER_EMULATOR_PORT: String(new URL(emulator.url).port),
      LADDER_EMULATOR_SIGNING_SECRET: signingSecret,
      LADDER_SLACK_METRICS_PORT: String(metricsPort),
      LADDER_WORKER_METRICS_PORT: 'off',
      LADDER_API_METRICS_PORT: 'off',
      LOG_LEVEL: 'info',
    });
    await app.waitForOutput(/slack app listening/);
    emulator.connectApp({
      url: `http://127.0.0.1:${appPort}/slack/events`,
      signingSecret,
      timeoutMs: 15_000,
    });
  });
  afterAll(async () => {
    if (app && app.child.exitCode === null) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    await emulator?.close();
  });

  it('times acks of commands, clicks and modal submissions, and counts a rate-limited views.open', async () => {
    expect(app.stdout()).toContain(`"url":"${metricsUrl}","msg":"metrics endpoint"`);
    // The modal's first views.open is refused (429); Bolt's client waits Retry-After and tries again.
    emulator.injectFault({ kind: 'rate-limited', retryAfterSeconds: 1 }, { method: 'views.open' });
    expect((await emulator.command(user, '#ops', '/ladder delegate')).status).toBe(200);
    await waitUntil(() => emulator.viewFor(user) !== undefined);
    const refused = await emulator.submitView(user, { agent: 'a2', task_class: 'ops', params: '{' });
    expect(refused.body).toMatchObject({ response_action: 'errors' });
    expect((await emulator.command(user, '#ops', '/ladder help')).status).toBe(200);
    // A button of a task that does not exist: acked first, then the person is told.
    const message = emulator.workspace.addMessage(emulator.channelId('#ops'), 'Approval needed', [
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION_IDS.approve,
            text: { type: 'plain_text', text: 'Approve' },
            value: buttonValue('task/a2/no-such-task', 'f'.repeat(64)),
          },
        ],
      },
    ]);
    expect((await emulator.click(user, '#ops', message.ts, ACTION_IDS.approve)).status).toBe(200);

    let families = await scrape(metricsUrl);
    const acked = () => samplesOf(families, 'ladder_slack_ack_seconds').filter((s) => s.le === '+Inf');
    await waitUntil(async () => {
      families = await scrape(metricsUrl);
      return acked().reduce((n, s) => n + Number(s.value), 0) >= 4;
    });
    expect(acked()).toEqual(
      expect.arrayContaining([
        { kind: 'command', le: '+Inf', value: 2 },
        { kind: 'view_submission', le: '+Inf', value: 1 },
        { kind: 'block_actions', le: '+Inf', value: 1 },
      ]),
    );
    expect(acked()).toHaveLength(3);
    // Every ack well inside Slack's 3 seconds.
    expect(samplesOf(families, 'ladder_slack_ack_seconds').filter((s) => s.le === '3')).toEqual(
      expect.arrayContaining([
        { kind: 'command', le: '3', value: 2 },
        { kind: 'view_submission', le: '3', value: 1 },
        { kind: 'block_actions', le: '3', value: 1 },
      ]),
    );
    expect(samplesOf(families, 'ladder_slack_api_errors_total')).toEqual([
      { method: 'views.open', error: 'ratelimited', value: 1 },
    ]);
    expect(emulator.faultReport().served['rate-limited']).toBe(1);
  });
});
