import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoService, type DemoService } from '../../examples/demo-service/server';
import { JOURNAL_FILE, JournalCorruptError } from '../../examples/demo-service/journal';
import { waitUntil } from '../helpers/wait';

// The demo service as a destination that honours Idempotency-Key: what a retried Ladder step
// relies on to not apply an effect twice, checked at the destination itself.
describe('demo service Idempotency-Key store', () => {
  const services: DemoService[] = [];
  const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ladder-demo-idem-'));
  const start = async (stateDir?: string, configDir = tempDir()): Promise<DemoService> => {
    const file = join(configDir, 'config.json');
    writeFileSync(file, JSON.stringify({ rateLimitRps: 100 }));
    const service = await startDemoService(file, 0, { deployToken: 'tok', stateDir });
    services.push(service);
    return service;
  };
  afterEach(async () => {
    for (const s of services.splice(0)) await s.close();
  });

  const post = (
    service: DemoService,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const deploy = (service: DemoService, key: string | undefined, version: string, extra = {}) =>
    post(
      service,
      '/deploys',
      { service: 'checkout', version },
      { ...(key ? { 'idempotency-key': key } : {}), ...extra },
    );
  const effectsOf = async (service: DemoService, key?: string) =>
    (
      (await (
        await fetch(`${service.url}/effects${key ? `?key=${encodeURIComponent(key)}` : ''}`)
      ).json()) as {
        effects: { seq: number; route: string; key: string | null; status: number }[];
      }
    ).effects;
  const deployed = async (service: DemoService) =>
    ((await (await fetch(`${service.url}/config`)).json()) as { deployed: Record<string, string> }).deployed;

  it('replays the first answer to a repeated key and applies the effect once', async () => {
    const service = await start();
    const first = await deploy(service, 'task/a/1#0', '1.0.0');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.json();
    await deploy(service, 'other-key', '2.0.0');

    const again = await deploy(service, 'task/a/1#0', '1.0.0');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    // Not applied again: the later deploy under another key still stands.
    expect(await deployed(service)).toEqual({ checkout: '2.0.0' });
    expect(await effectsOf(service, 'task/a/1#0')).toEqual([
      expect.objectContaining({ seq: 1, route: 'POST /deploys', key: 'task/a/1#0', status: 201 }),
    ]);
  });

  it('answers 422 to the same key with a different body, and applies nothing', async () => {
    const service = await start();
    expect((await deploy(service, 'k1', '1.0.0')).status).toBe(201);
    const conflict = await deploy(service, 'k1', '9.9.9');
    expect(conflict.status).toBe(422);
    expect(((await conflict.json()) as { error: string }).error).toContain(
      'Idempotency-Key "k1" was already used',
    );
    // Another route under the same key is a different request too.
    expect(
      (await post(service, '/tickets/7/replies', { text: 'hi' }, { 'idempotency-key': 'k1' })).status,
    ).toBe(422);
    expect(await deployed(service)).toEqual({ checkout: '1.0.0' });
    expect(await effectsOf(service)).toHaveLength(1);
  });

  it('applies every request without a key, and refuses an empty or oversized key', async () => {
    const service = await start();
    expect((await deploy(service, undefined, '1.0.0')).status).toBe(201);
    expect((await deploy(service, undefined, '1.0.0')).status).toBe(201);
    expect((await effectsOf(service)).map((e) => e.key)).toEqual([null, null]);
    expect((await deploy(service, 'x'.repeat(513), '1.0.0')).status).toBe(400);
    expect((await post(service, '/reload', undefined, { 'idempotency-key': ' ' })).status).toBe(400);
    expect(await effectsOf(service)).toHaveLength(2);
  });

  it('does not reload again for a repeated reload key', async () => {
    const service = await start();
    const first = await post(service, '/reload', undefined, { 'idempotency-key': 'task/a/2#0#reload' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ reloads: 1 });
    const again = await post(service, '/reload', undefined, { 'idempotency-key': 'task/a/2#0#reload' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ reloads: 1 });
    expect(service.reloads()).toBe(1);
    expect(
      (await post(service, '/reload', undefined, { 'idempotency-key': 'task/a/2#0#undo-reload' })).status,
    ).toBe(200);
    expect(service.reloads()).toBe(2);
  });

  it('applies concurrent requests with one key once', async () => {
    const service = await start();
    const answers = await Promise.all(Array.from({ length: 8 }, () => deploy(service, 'same', '3.0.0')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect(await effectsOf(service, 'same')).toHaveLength(1);
  });

  it('keeps the store, the effects log and the state across a restart', async () => {
    const stateDir = tempDir();
    const configDir = tempDir();
    const before = await start(stateDir, configDir);
    expect((await deploy(before, 'task/r/1#0', '1.0.0')).status).toBe(201);
    expect(
      (await post(before, '/tickets/42/replies', { text: 'fixed' }, { 'idempotency-key': 'task/r/2#0' }))
        .status,
    ).toBe(201);
    // On disk once answered, not only at an orderly close: a crash right after the answer keeps it.
    expect(readFileSync(join(stateDir, JOURNAL_FILE), 'utf8').trimEnd().split('\n')).toHaveLength(2);
    await before.close();
    services.splice(services.indexOf(before), 1);

    const after = await start(stateDir, configDir);
    const replayed = await deploy(after, 'task/r/1#0', '1.0.0');
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect((await deploy(after, 'task/r/1#0', '1.0.1')).status).toBe(422);
    expect(await deployed(after)).toEqual({ checkout: '1.0.0' });
    const reply = await post(
      after,
      '/tickets/42/replies',
      { text: 'again' },
      { 'idempotency-key': 'task/r/3#0' },
    );
    expect(await reply.json()).toEqual({ ticket: '42', replies: 2 });
    expect((await effectsOf(after)).map((e) => [e.seq, e.key])).toEqual([
      [1, 'task/r/1#0'],
      [2, 'task/r/2#0'],
      [3, 'task/r/3#0'],
    ]);
  });

  it('drops a torn last line left by a crash mid-append, and appends on a line of its own', async () => {
    const stateDir = tempDir();
    const configDir = tempDir();
    const first = await start(stateDir, configDir);
    await deploy(first, 'k-kept', '1.0.0');
    await first.close();
    services.splice(services.indexOf(first), 1);
    appendFileSync(join(stateDir, JOURNAL_FILE), '{"seq":2,"route":"POST /dep');

    const second = await start(stateDir, configDir);
    expect((await effectsOf(second)).map((e) => e.key)).toEqual(['k-kept']);
    expect((await deploy(second, 'k-new', '2.0.0')).status).toBe(201);
    const lines = readFileSync(join(stateDir, JOURNAL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { key: string }).key)).toEqual(['k-kept', 'k-new']);
  });

  it('refuses to start on a journal damaged before its last line, naming the file and line', async () => {
    const stateDir = tempDir();
    writeFileSync(join(stateDir, JOURNAL_FILE), 'not json\n{"seq":1}\n');
    await expect(start(stateDir)).rejects.toThrow(JournalCorruptError);
    await expect(start(stateDir)).rejects.toThrow(`${join(stateDir, JOURNAL_FILE)}, line 1: not valid JSON`);
  });

  it('logs a held effect before answering, so a caller can crash between the two', async () => {
    const service = await start();
    let answered = false;
    const pending = deploy(service, 'held', '4.0.0', { 'x-demo-hold-ms': '2000' }).then((r) => {
      answered = true;
      return r;
    });
    await waitUntil(async () => (await effectsOf(service, 'held')).length === 1);
    expect(answered).toBe(false);
    expect((await pending).status).toBe(201);
  });

  it("fails one service's health while a broken version of it is deployed", async () => {
    const service = await start();
    const health = async (name: string) => (await fetch(`${service.url}/services/${name}/health`)).status;
    expect(await health('payments')).toBe(200);
    await post(service, '/deploys', { service: 'payments', version: '2.0.0-broken' });
    expect(await health('payments')).toBe(503);
    expect(await health('checkout')).toBe(200);
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    await post(service, '/deploys', { service: 'payments', version: '1.9.0' });
    expect(await health('payments')).toBe(200);
  });
});
