import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { IdempotencyStore, requestFingerprint } from './idempotency';
import { Journal, type DemoEffect, type JournalEntry } from './journal';

/**
 * A small service for trying Ladder's actions for real: it serves with the config file it last
 * loaded, reloads on `POST /reload`, and its `/health` fails when that config holds a bad value, so
 * a bad `config.set` really trips the rung-4 health watch and gets rolled back. It also stands in
 * for a deploy API (`POST /deploys`) and a helpdesk (`POST /tickets/:id/replies`).
 *
 * Its mutating routes honour `Idempotency-Key` as a real API would: a repeated key gets the first
 * answer replayed and nothing applied again; the same key with a different request gets 422. The
 * store is the effects journal (`GET /effects`), kept in a file when a state folder is given, so
 * it survives a restart of the service.
 */
export interface DemoService {
  url: string;
  /** How many reloads have been applied (effects counted by tests). */
  reloads(): number;
  /** Every effect applied, oldest first (what `GET /effects` lists). */
  effects(): readonly JournalEntry[];
  close(): Promise<void>;
}

/** Options of {@link startDemoService}. */
export interface DemoServiceOptions {
  /**
   * When set, `POST /deploys` requires `Authorization: Bearer <token>` (401 otherwise), as a real
   * deploy API would; the worker injects it from the policy's `credentials`, so no agent ever holds
   * it. Default: `LADDER_SECRET_DEMO_DEPLOY` from this process's environment; unset, deploys need no
   * credential.
   */
  deployToken?: string;
  /**
   * Folder for the effects journal (`journal.jsonl`, fsync'd per effect, read at start), which is
   * also the idempotency store. Default: `LADDER_DEMO_STATE_DIR`; unset, both live in memory only.
   */
  stateDir?: string;
}

/** Longest a request may ask to be held (`X-Demo-Hold-Ms`) before its answer, in milliseconds. */
export const MAX_HOLD_MS = 60_000;

/** A version ending in this makes its service's `/services/<name>/health` fail (503). */
export const BROKEN_VERSION_SUFFIX = '-broken';

/** Checks a loaded config; returns the problems (empty when healthy). */
export function configProblems(config: unknown): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    return ['config is not an object'];
  const c = config as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof c.rateLimitRps !== 'number' || !(c.rateLimitRps > 0) || c.rateLimitRps > 10_000) {
    problems.push(`rateLimitRps must be a number from 1 to 10000, is ${JSON.stringify(c.rateLimitRps)}`);
  }
  if (c.searchRankingV2 !== undefined && typeof c.searchRankingV2 !== 'boolean') {
    problems.push(`searchRankingV2 must be true or false, is ${JSON.stringify(c.searchRankingV2)}`);
  }
  if (c.cacheTtlSeconds !== undefined && (typeof c.cacheTtlSeconds !== 'number' || c.cacheTtlSeconds < 0)) {
    problems.push(`cacheTtlSeconds must be a number ≥ 0, is ${JSON.stringify(c.cacheTtlSeconds)}`);
  }
  return problems;
}

/** Whether an Authorization header is exactly `Bearer <token>`, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString('utf8')));
    req.on('end', () => resolveBody(text));
    req.on('error', reject);
  });
}

/** The body as JSON (undefined when empty); `null` marks a body that is not JSON. */
function parseJson(text: string): { value: unknown } | null {
  if (text === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

/** A mutating request, checked: the effect to apply and its answer, or the error to answer with. */
type Planned = { effect: DemoEffect; status: number; response: unknown } | { error: number; body: unknown };

/**
 * Starts the demo service on 127.0.0.1.
 *
 * @param configPath - JSON config file it reads at start and on every `POST /reload`.
 * @param port - 0 picks a free port.
 * @throws {JournalCorruptError} when the state folder's journal is damaged (not just a torn last line).
 */
export async function startDemoService(
  configPath: string,
  port = 0,
  options: DemoServiceOptions = {},
): Promise<DemoService> {
  const deployToken = options.deployToken ?? (process.env.LADDER_SECRET_DEMO_DEPLOY || undefined);
  const journal = new Journal(options.stateDir ?? (process.env.LADDER_DEMO_STATE_DIR || undefined));
  const store = new IdempotencyStore(journal);
  let reloads = 0;
  const deployed: Record<string, string> = {};
  const replies: Record<string, unknown[]> = {};
  let config: unknown;
  let loadError: string | undefined;
  const load = (): void => {
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8'));
      loadError = undefined;
    } catch (err) {
      loadError = `cannot load ${configPath}: ${(err as Error).message}`;
    }
  };
  /** Changes the service's state; also how the journal is replayed at start. */
  const apply = (effect: DemoEffect): void => {
    if (effect.kind === 'deploy') deployed[effect.service] = effect.version;
    else if (effect.kind === 'reply') (replies[effect.ticket] ??= []).push(effect.body);
    else reloads++;
  };
  for (const entry of journal.all()) apply(entry.effect);
  load();

  /** What a mutating request would do, without doing it. */
  const plan = (path: string, body: unknown): Planned => {
    if (path === '/reload') {
      // Reading the file is the effect; a config that cannot be read is a failure, not an effect.
      load();
      if (loadError) {
        reloads++;
        return { error: 500, body: { reloads, error: loadError } };
      }
      return { effect: { kind: 'reload' }, status: 200, response: { reloads: reloads + 1 } };
    }
    if (path === '/deploys') {
      const { service, version } = (body ?? {}) as { service?: unknown; version?: unknown };
      if (typeof service !== 'string' || typeof version !== 'string')
        return { error: 400, body: { error: 'expected {"service": string, "version": string}' } };
      return { effect: { kind: 'deploy', service, version }, status: 201, response: { service, version } };
    }
    const ticket = path.split('/')[2];
    return {
      effect: { kind: 'reply', ticket, body },
      status: 201,
      response: { ticket, replies: (replies[ticket]?.length ?? 0) + 1 },
    };
  };

  const mutate = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path === '/deploys' && deployToken && !bearerMatches(req.headers.authorization, deployToken)) {
      req.resume(); // drain the body, so the connection can be reused
      return send(401, { error: 'expected Authorization: Bearer <deploy token>' });
    }
    const text = await readText(req);
    const header = req.headers['idempotency-key'];
    const key = Array.isArray(header) ? header.join(',') : header;
    const fingerprint = requestFingerprint(req.method ?? 'POST', path, text);
    // From here to the journal append nothing awaits: two requests with one key cannot interleave.
    const verdict = store.verdict(key, fingerprint);
    if (verdict.kind === 'invalid') return send(400, { error: verdict.reason });
    if (verdict.kind === 'conflict') {
      return send(422, {
        error: `Idempotency-Key "${key}" was already used for a different request (${verdict.entry.route} at ${verdict.entry.at}); use a new key for a new request`,
      });
    }
    if (verdict.kind === 'replay') {
      return send(verdict.entry.status, verdict.entry.response, { 'idempotent-replayed': 'true' });
    }
    // A reload takes no body; deploys and replies take JSON.
    const parsed = path === '/reload' ? { value: undefined } : parseJson(text);
    if (!parsed) return send(400, { error: 'expected a JSON body' });
    const planned = plan(path, parsed.value);
    if ('error' in planned) return send(planned.error, planned.body);
    const entry = journal.append({
      route: `${req.method} ${path}`,
      key: key ?? null,
      fingerprint,
      status: planned.status,
      response: planned.response,
      effect: planned.effect,
    });
    store.remember(entry);
    apply(planned.effect);
    // For fault drills: the effect is applied and stored, the answer comes late (a crash in between
    // leaves the caller not knowing, which is what a retry with the same key resolves).
    const hold = Number(req.headers['x-demo-hold-ms'] ?? 0);
    if (Number.isFinite(hold) && hold > 0)
      await new Promise((r) => setTimeout(r, Math.min(hold, MAX_HOLD_MS)));
    send(planned.status, planned.response);
  };

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://demo');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/health') {
      const problems = loadError ? [loadError] : configProblems(config);
      return send(problems.length === 0 ? 200 : 503, {
        status: problems.length === 0 ? 'ok' : 'unhealthy',
        problems,
      });
    }
    const serviceHealth = /^\/services\/([^/]+)\/health$/.exec(path);
    if (req.method === 'GET' && serviceHealth) {
      const service = decodeURIComponent(serviceHealth[1]);
      const version = deployed[service] ?? null;
      const broken = version?.endsWith(BROKEN_VERSION_SUFFIX) ?? false;
      return send(broken ? 503 : 200, { service, version, status: broken ? 'unhealthy' : 'ok' });
    }
    if (req.method === 'GET' && path === '/config') return send(200, { config, reloads, deployed });
    if (req.method === 'GET' && path === '/effects') {
      const key = url.searchParams.get('key');
      const effects = journal
        .all()
        .filter((e) => key === null || e.key === key)
        .map((e) => ({ seq: e.seq, at: e.at, route: e.route, key: e.key, status: e.status }));
      return send(200, { effects });
    }
    if (
      req.method === 'POST' &&
      (path === '/reload' || path === '/deploys' || /^\/tickets\/[^/]+\/replies$/.test(path))
    ) {
      void mutate(req, res, path).catch((err: unknown) => {
        if (!res.headersSent) send(500, { error: (err as Error).message });
        else res.destroy();
      });
      return;
    }
    send(404, { error: `no route ${req.method} ${req.url}` });
  });
  await new Promise<void>((r, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', r);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    reloads: () => reloads,
    effects: () => journal.all(),
    close: () =>
      new Promise<void>((r) => {
        // Held answers would keep close() waiting for up to a minute.
        server.closeAllConnections();
        server.close(() => {
          journal.close();
          r();
        });
      }),
  };
}

if (require.main === module) {
  const configPath = resolve(
    process.argv[2] ?? resolve(__dirname, '..', '..', '..', 'examples', 'demo-service', 'config.json'),
  );
  const port = Number(process.env.DEMO_SERVICE_PORT ?? 4100);
  startDemoService(configPath, port).then(
    (svc) => {
      const state = process.env.LADDER_DEMO_STATE_DIR || 'memory only (set LADDER_DEMO_STATE_DIR to keep it)';
      console.log(
        `demo service on ${svc.url} (config ${configPath}, effects journal ${state}); GET /health, /config, /effects; POST /reload, /deploys, /tickets/:id/replies`,
      );
      // Forked with an IPC channel (e.g. by the chaos run): say where it listens, and die with the parent.
      if (process.send) {
        process.send({ type: 'ready', url: svc.url });
        process.once('disconnect', () => void svc.close().then(() => process.exit(0)));
      }
    },
    (err: unknown) => {
      console.error(`demo service failed to start: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
