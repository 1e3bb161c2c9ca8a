import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/**
 * A small service for trying Ladder's actions for real: it serves with the config file it last
 * loaded, reloads on `POST /reload`, and its `/health` fails when that config holds a bad value, so
 * a bad `config.set` really trips the rung-4 health watch and gets rolled back.
 */
export interface DemoService {
  url: string;
  /** How many reloads have been applied (effects counted by tests). */
  reloads(): number;
  close(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString('utf8')));
    req.on('end', () => {
      try {
        resolveBody(text === '' ? undefined : JSON.parse(text));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    req.on('error', reject);
  });
}

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

/**
 * Starts the demo service on 127.0.0.1.
 *
 * @param configPath - JSON config file it reads at start and on every `POST /reload`.
 * @param port - 0 picks a free port.
 * @param options.deployToken - when set, `POST /deploys` requires `Authorization: Bearer <token>`
 *   (401 otherwise), as a real deploy API would; the worker injects it from the policy's
 *   `credentials`, so no agent ever holds it. Default: `LADDER_SECRET_DEMO_DEPLOY` from this
 *   process's environment; unset, deploys need no credential.
 */
export async function startDemoService(
  configPath: string,
  port = 0,
  options: { deployToken?: string } = {},
): Promise<DemoService> {
  const deployToken = options.deployToken ?? (process.env.LADDER_SECRET_DEMO_DEPLOY || undefined);
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
  load();

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') {
      const problems = loadError ? [loadError] : configProblems(config);
      return send(problems.length === 0 ? 200 : 503, {
        status: problems.length === 0 ? 'ok' : 'unhealthy',
        problems,
      });
    }
    if (req.method === 'POST' && req.url === '/reload') {
      load();
      reloads++;
      return send(loadError ? 500 : 200, { reloads, error: loadError });
    }
    if (req.method === 'GET' && req.url === '/config') return send(200, { config, reloads, deployed });
    // A stand-in deploy API and helpdesk for the example tasks: they record what they were asked.
    if (
      req.method === 'POST' &&
      (req.url === '/deploys' || /^\/tickets\/[^/]+\/replies$/.test(req.url ?? ''))
    ) {
      if (req.url === '/deploys' && deployToken && !bearerMatches(req.headers.authorization, deployToken)) {
        req.resume(); // drain the body, so the connection can be reused
        return send(401, { error: 'expected Authorization: Bearer <deploy token>' });
      }
      void readJson(req).then(
        (body) => {
          if (req.url === '/deploys') {
            const { service, version } = (body ?? {}) as { service?: unknown; version?: unknown };
            if (typeof service !== 'string' || typeof version !== 'string') {
              return send(400, { error: 'expected {"service": string, "version": string}' });
            }
            deployed[service] = version;
            return send(201, { service, version });
          }
          const ticket = req.url!.split('/')[2];
          (replies[ticket] ??= []).push(body);
          return send(201, { ticket, replies: replies[ticket].length });
        },
        () => send(400, { error: 'expected a JSON body' }),
      );
      return;
    }
    send(404, { error: `no route ${req.method} ${req.url}` });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    reloads: () => reloads,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

if (require.main === module) {
  const configPath = resolve(
    process.argv[2] ?? resolve(__dirname, '..', '..', '..', 'examples', 'demo-service', 'config.json'),
  );
  const port = Number(process.env.DEMO_SERVICE_PORT ?? 4100);
  startDemoService(configPath, port).then(
    (svc) =>
      console.log(
        `demo service on ${svc.url} (config ${configPath}); GET /health, POST /reload, GET /config`,
      ),
    (err: unknown) => {
      console.error(`demo service failed to start: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
