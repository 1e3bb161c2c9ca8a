import { WebClient } from '@slack/web-api';
import { SlackNotifier } from '../../activities/notify/slack';
import { slackFetchCountingErrors } from '../../observability/slack-web-api-errors';
import { freeLoopbackPort } from '../../observability/temporal-runtime-metrics';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';

// Real Web API calls against the emulator, which answers as Slack does (429 with Retry-After,
// HTTP 500, ok:false with Slack's error codes).
describe('counting failed Slack Web API calls', () => {
  let api: SlackWebApiEmulator;
  let heard: [string, string][];
  const client = (token = 'xoxb-test', url?: string) =>
    new WebClient(token, {
      slackApiUrl: url ?? api.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      fetch: slackFetchCountingErrors((method, error) => heard.push([method, error])),
    });

  beforeAll(async () => {
    api = await startSlackWebApi(0, false);
  });
  afterAll(async () => api?.close());
  beforeEach(() => {
    heard = [];
  });

  it('hears nothing from calls that succeed, through the bound method helpers too', async () => {
    const result = await client().chat.postMessage({ channel: '#ops', text: 'hello' });
    expect(result.ok).toBe(true);
    await client().apiCall('conversations.list', { limit: 10 });
    expect(heard).toEqual([]);
  });

  it('hears 429s, HTTP errors and ok:false by method, and passes each failure on unchanged', async () => {
    api.injectFault({ kind: 'rate-limited', retryAfterSeconds: 7 }, { method: 'chat.postMessage' });
    await expect(client().chat.postMessage({ channel: '#ops', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 7,
    });
    api.injectFault({ kind: 'server-error' }, { method: 'chat.update' });
    await expect(client().chat.update({ channel: '#ops', ts: '1.2', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 500,
    });
    await expect(
      client('xoxp-not-a-bot').chat.postMessage({ channel: '#ops', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'invalid_auth' },
    });
    expect(heard).toEqual([
      ['chat.postMessage', 'ratelimited'],
      ['chat.update', 'http_500'],
      ['chat.postMessage', 'invalid_auth'],
    ]);
  });

  it('hears a Web API that cannot be reached as network', async () => {
    const closed = `http://127.0.0.1:${await freeLoopbackPort()}/api/`;
    await expect(
      client('xoxb-test', closed).chat.postMessage({ channel: '#ops', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'slack_webapi_request_error',
    });
    expect(heard).toEqual([['chat.postMessage', 'network']]);
  });

  it("reaches the worker's notifier through its onApiError option", async () => {
    const notifier = new SlackNotifier('xoxb-test', api.apiUrl, { onApiError: (m, e) => heard.push([m, e]) });
    api.injectFault({ kind: 'server-error' }, { method: 'chat.postMessage' });
    await expect(
      notifier.post('k-1', {
        kind: 'outcome',
        workflowId: 'task/a/1',
        agentId: 'a',
        taskClass: 'ops',
        channel: '#ops',
        title: 't',
        text: 'x',
      }),
    ).rejects.toThrow();
    expect(heard).toEqual([['chat.postMessage', 'http_500']]);
  });
});
