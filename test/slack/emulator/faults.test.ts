import { startSlackEmulator, type SlackEmulator } from '../../../slack/emulator/server';
import { waitUntil } from '../../helpers/wait';

describe('emulator fault injection and message listing over HTTP', () => {
  let emulator: SlackEmulator;
  beforeEach(async () => {
    emulator = await startSlackEmulator({ port: 0 });
  });
  afterEach(() => emulator.close());

  const control = async (httpMethod: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}${path}`, {
      method: httpMethod,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const api = async (method: string, args: Record<string, string>) => {
    const response = await fetch(`${emulator.apiUrl}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-t' },
      body: new URLSearchParams(args).toString(),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const post = (key: string, text: string) =>
    api('chat.postMessage', {
      channel: '#ops',
      text,
      metadata: JSON.stringify({ event_type: 'ladder_notification', event_payload: { key } }),
    });

  it.each([
    ['not JSON', 'kind=slow', '', /expects a JSON body/],
    ['an array', [], '', /expected a JSON object/],
    [
      'no kind',
      { count: 1 },
      'kind',
      /"kind" must be one of rate-limited, server-error, slow, slow-answer \(got null\)/,
    ],
    ['an unknown kind', { kind: 'timeout' }, 'kind', /\(got "timeout"\)/],
    ['an unknown field', { kind: 'server-error', times: 2 }, 'times', /unknown field "times"/],
    [
      'a method the emulator does not serve',
      { kind: 'server-error', method: 'chat.postMesage' },
      'method',
      /"chat.postMesage"/,
    ],
    ['a method inherited from Object', { kind: 'server-error', method: 'toString' }, 'method', /"toString"/],
    [
      'a zero count',
      { kind: 'server-error', count: 0 },
      'count',
      /"count" must be a whole number from 1 to 100000 \(got 0\)/,
    ],
    ['a fractional count', { kind: 'server-error', count: 1.5 }, 'count', /got 1.5/],
    ['a count as text', { kind: 'server-error', count: '3' }, 'count', /got "3"/],
    [
      'rate-limited without Retry-After',
      { kind: 'rate-limited' },
      'retryAfterSeconds',
      /required for kind rate-limited/,
    ],
    [
      'a negative Retry-After',
      { kind: 'rate-limited', retryAfterSeconds: -5 },
      'retryAfterSeconds',
      /from 1 to 3600/,
    ],
    [
      'Retry-After on a slow fault',
      { kind: 'slow', delayMs: 10, retryAfterSeconds: 5 },
      'retryAfterSeconds',
      /applies only to kind rate-limited/,
    ],
    ['slow without delayMs', { kind: 'slow' }, 'delayMs', /required for kind slow/],
    ['a delay over ten minutes', { kind: 'slow-answer', delayMs: 600_001 }, 'delayMs', /from 0 to 600000/],
    [
      'delayMs on a server error',
      { kind: 'server-error', delayMs: 10 },
      'delayMs',
      /applies only to kind slow or slow-answer/,
    ],
  ])(
    'refuses a fault body with %s: 400 naming the field, nothing queued',
    async (_, body, field, message) => {
      const answer = await control('POST', '/emulator/faults', body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ ok: false, field });
      expect(answer.body.error).toMatch(message);
      expect((await control('GET', '/emulator/faults')).body).toMatchObject({ pending: [] });
    },
  );

  it('queues faults in order, serves each to the method it names, counts them and clears the rest', async () => {
    expect(
      await control('POST', '/emulator/faults', {
        method: 'chat.postMessage',
        kind: 'rate-limited',
        count: 2,
        retryAfterSeconds: 5,
      }),
    ).toEqual({
      status: 200,
      body: {
        ok: true,
        added: { kind: 'rate-limited', retryAfterSeconds: 5, method: 'chat.postMessage', count: 2 },
      },
    });
    await control('POST', '/emulator/faults', { kind: 'server-error', count: 3 });

    // auth.test skips the postMessage fault and meets the any-method one.
    expect((await api('auth.test', {})).status).toBe(500);
    expect(await post('k', 'one')).toMatchObject({ status: 429, retryAfter: '5' });
    expect(await post('k', 'one')).toMatchObject({ status: 429, retryAfter: '5' });
    expect((await post('k', 'one')).status).toBe(500);
    expect(emulator.messages('#ops')).toHaveLength(0); // a refused call does nothing

    expect((await control('GET', '/emulator/faults')).body).toEqual({
      ok: true,
      pending: [{ fault: { kind: 'server-error' }, remaining: 1 }],
      served: { total: 4, 'rate-limited': 2, 'server-error': 2, slow: 0, 'slow-answer': 0 },
    });
    expect((await control('DELETE', '/emulator/faults')).body).toEqual({ ok: true, cleared: 1 });
    expect((await post('k', 'one')).body).toMatchObject({ ok: true });
    expect(emulator.messages('#ops')).toHaveLength(1);
    expect(emulator.faultReport().served.total).toBe(4); // clearing keeps the served counts
  });

  it('does a slow post only after its delay and answers then; a slow answer comes after the post is visible', async () => {
    await control('POST', '/emulator/faults', { method: 'chat.postMessage', kind: 'slow', delayMs: 800 });
    const started = Date.now();
    const slow = post('slow-key', 'late');
    await waitUntil(() => emulator.faultReport().served.slow === 1, 10_000);
    expect(emulator.messages('#ops')).toHaveLength(0); // arrived, not yet done
    const answer = await slow;
    expect(answer.body).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
    expect(emulator.messages('#ops').map((m) => m.ts)).toEqual([answer.body.ts]);

    await control('POST', '/emulator/faults', {
      method: 'chat.postMessage',
      kind: 'slow-answer',
      delayMs: 60_000,
    });
    let answered = false;
    const held = post('held-key', 'done, answer held').then(() => (answered = true));
    await waitUntil(() => emulator.messages('#ops').length === 2, 10_000);
    expect(answered).toBe(false);
    // Closing the emulator ends the held answer's wait instead of leaving a timer behind.
    await emulator.close();
    await held.catch(() => undefined);
    emulator = await startSlackEmulator({ port: 0 });
  });

  it('deletes messages with chat.delete and lists each message with its channel, ts, text and key', async () => {
    const first = (await post('task/a/t-1/approval', 'first')).body.ts as string;
    const second = (await post('task/a/t-1/approval', 'second')).body.ts as string;
    await post('task/a/t-2/approval', 'other');
    await api('chat.postEphemeral', { channel: '#ops', user: 'U0APPR001', text: 'only you' });
    expect((await api('chat.delete', { channel: '#ops', ts: second })).body).toEqual({
      ok: true,
      channel: emulator.channelId('#ops'),
      ts: second,
    });
    expect((await api('chat.delete', { channel: '#ops', ts: second })).body).toEqual({
      ok: false,
      error: 'message_not_found',
    });
    const ephemeralTs = emulator.messages('#ops').find((m) => m.ephemeralTo)!.ts;
    expect((await api('chat.delete', { channel: '#ops', ts: ephemeralTs })).body).toMatchObject({
      error: 'message_not_found',
    });

    const listing = await control('GET', '/emulator/messages?key=task%2Fa%2Ft-1%2Fapproval');
    expect(listing.body).toEqual({
      ok: true,
      messages: [
        {
          channel: emulator.channelId('#ops'),
          channelName: '#ops',
          ts: first,
          text: 'first',
          edits: 0,
          key: 'task/a/t-1/approval',
          entries: [],
        },
      ],
      deleted: [
        {
          channel: emulator.channelId('#ops'),
          ts: second,
          key: 'task/a/t-1/approval',
          at: expect.any(Number),
        },
      ],
    });
    const all = (await control('GET', '/emulator/messages?channel=%23ops')).body.messages as unknown[];
    expect(all).toHaveLength(2); // the ephemeral message is left out
    expect((await control('GET', '/emulator/messages?channel=%23nowhere')).body.messages).toEqual([]);
    expect(emulator.workspace.channels.size).toBe(1); // listing did not create #nowhere
  });

  it('answers a method named like an Object property as unknown, not with a crash', async () => {
    expect(await api('toString', {})).toMatchObject({ status: 404, body: { error: 'unknown_method' } });
    expect(await api('constructor', {})).toMatchObject({ status: 404, body: { error: 'unknown_method' } });
  });
});
