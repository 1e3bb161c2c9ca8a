import { App } from '@slack/bolt';
import { createLogger } from '../../config/logger';
import type { MetricsServer } from '../../observability/metrics-server';
import { SlackHttpReceiver } from '../../slack/receiver';
import { signSlackRequest } from '../../slack/verify-signature';
import { gate, newConnectionOutcome, rawRequest, readyzFor } from '../observability/drain-helpers';
import { waitUntil } from '../helpers/wait';

const SECRET = 'receiver-drain-secret';

function signedCommand(text: string): { headers: Record<string, string>; body: string } {
  const body = new URLSearchParams({
    command: '/ladder',
    text,
    user_id: 'U0DRAIN01',
    channel_id: 'C0DRAIN01',
    trigger_id: 'trigger-1',
    response_url: 'http://127.0.0.1:9/response',
    team_id: 'T0DRAIN01',
  }).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signSlackRequest(SECRET, timestamp, body),
    },
  };
}

// A rolling restart must not drop a click or command Slack already sent: stop() lets it finish.
describe('Slack receiver drain on stop', () => {
  let receiver: SlackHttpReceiver;
  let readyz: MetricsServer;
  const held = gate();
  let commandsSeen = 0;

  beforeAll(async () => {
    receiver = new SlackHttpReceiver({
      signingSecret: SECRET,
      port: 0,
      logger: createLogger('receiver-drain-test', 'silent'),
    });
    const app = new App({
      receiver,
      authorize: () => Promise.resolve({ botToken: 'xoxb-test', botId: 'B0DRAIN01' }),
    });
    // A slow listener: it acknowledges only once the test lets it.
    app.command('/ladder', async ({ ack }) => {
      commandsSeen++;
      await held.opened;
      await ack({ text: 'done after the drain began' } as never);
    });
    readyz = await readyzFor(() => receiver.isDraining());
  });
  afterAll(async () => {
    held.open();
    await receiver.stop(0);
    await readyz.close();
  });

  it('finishes the request in flight, refuses new connections and reports stopping', async () => {
    const { url } = await receiver.start();
    expect((await rawRequest(`${readyz.baseUrl}/readyz`)).status).toBe(200);
    const command = signedCommand('status');
    const inFlight = rawRequest(url, { method: 'POST', headers: command.headers, body: command.body });
    await waitUntil(() => commandsSeen === 1, 10_000);

    const stopped = receiver.stop(30_000);
    const readiness = await rawRequest(`${readyz.baseUrl}/readyz`);
    expect(readiness).toMatchObject({ status: 503, body: 'not ready: stopping\n' });
    // The front thread closes its listener when the drain message reaches it: a connection that
    // races that message may still be accepted and then reset, so wait for the refusal.
    await waitUntil(async () => (await newConnectionOutcome(url)) === 'ECONNREFUSED', 10_000);

    held.open();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ text: 'done after the drain began' });
    expect(answer.headers.connection).toBe('close');
    await stopped;
    expect(commandsSeen).toBe(1);
  });
});
