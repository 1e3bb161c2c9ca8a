import { z } from 'zod';
import { PermanentActionError, type ActionContext, type ActionHandler, type RetrySafety } from './contract';
import {
  checkDraftUrl,
  checkHost,
  healthCheck,
  hostListed,
  httpCall,
  urlObjections,
  probeUrl,
  requestMayHaveArrived,
  targetUrl,
  type HttpRequestSpec,
} from './http-call';
import { effectMayHaveBegun, runEffectOnce } from './undo-journal';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** A header name as HTTP defines it (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value fetch can send: no line break or NUL, nothing above U+00FF. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Checked at submission: fetch refuses a bad header only when the step runs, as an error that
// looks like a request whose outcome is unknown.
const headersSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: "not a valid header name (letters, digits and !#$%&'*+.^_`|~- only)",
      });
    else if (name.toLowerCase() === 'idempotency-key')
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message:
          "Ladder sets the Idempotency-Key itself (one per step, the same on every retry); a step's own would let it answer as another request",
      });
    else if (!HEADER_VALUE.test(value))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'a header value may hold no line break, NUL or character above U+00FF',
      });
  }
});
const requestSchema = z.strictObject({
  method: z.enum(METHODS, { message: `expected one of ${METHODS.join(', ')}` }),
  url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
  headers: headersSchema.optional(),
  body: z.unknown().optional(),
  verifyUrl: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .optional()
    .meta({
      description:
        'a URL that tells whether this request took effect (GET: 2xx yes, 404/410 no); asked before a retry after an unknown outcome',
    }),
});

/**
 * `fetch` sends no body with a GET, so one would be shown to the approver and never sent: refused,
 * at the body's own path.
 */
function noGetBody(request: { method: string; body?: unknown }, ctx: z.RefinementCtx): void {
  if (request.method === 'GET' && request.body !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['body'],
      message: 'a GET request sends no body: remove it, or use POST, PUT or PATCH',
    });
}

const paramsSchema = requestSchema
  .extend({
    undo: requestSchema
      .superRefine(noGetBody)
      .optional()
      .meta({ description: 'the request that reverses this one (rung 4 needs it)' }),
    healthUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional(),
  })
  .superRefine(noGetBody);
export type HttpRequestParams = z.output<typeof paramsSchema>;
export interface HttpRequestUndo {
  undo: z.output<typeof requestSchema> | null;
  status: number;
}

type RequestSpec = z.output<typeof requestSchema>;

/**
 * A request is safe to send again after an unknown outcome when it changes nothing (GET), when its
 * host is declared in the policy's `destinations` to honour `Idempotency-Key`, or when its
 * `verifyUrl` tells whether it happened; otherwise a person decides.
 */
function requestRetrySafety(spec: RequestSpec, ctx: ActionContext): RetrySafety {
  if (spec.method === 'GET') return { kind: 'repeatable', why: 'a GET changes nothing' };
  const url = new URL(spec.url);
  if (ctx.idempotentHosts && hostListed(url, ctx.idempotentHosts)) {
    return {
      kind: 'key-honoured',
      why: `the policy declares that ${url.host} honours Idempotency-Key`,
    };
  }
  const verifyUrl = spec.verifyUrl;
  if (verifyUrl !== undefined) {
    return {
      kind: 'verifiable',
      why: `GET ${verifyUrl} (2xx: it happened, 404: it did not) is asked first`,
      check: () => probeUrl(verifyUrl, ctx),
    };
  }
  return {
    kind: 'none',
    why: `${url.host} is not declared to honour Idempotency-Key (policy destinations) and the request has no verifyUrl`,
  };
}

/** Sends `spec` once per `key`, never blindly again after an unknown outcome (see {@link runEffectOnce}). */
function sendOnce(spec: RequestSpec, ctx: ActionContext, key: string, what: string, undoable: boolean) {
  return runEffectOnce({
    ctx,
    key,
    what,
    undoable,
    safety: requestRetrySafety(spec, ctx),
    effect: () => httpCall(spec as HttpRequestSpec, ctx, key),
    unobserved: () => ({ status: 0, body: '' }),
    mayHaveTakenEffect: requestMayHaveArrived,
  });
}

/**
 * `http.request`: one HTTP call to an allowed host, with a declared undo request and health URL.
 * Every URL it touches (request, undo, health) must be inside the class's host bound, checked before
 * anything is sent; a class with no host bound allows no call.
 */
export const httpRequest: ActionHandler<HttpRequestParams, HttpRequestUndo> = {
  type: 'http.request',
  // Its attempt markers live in this host's state folder: a retry on another host would not see
  // an unfinished attempt and could send the request again blind.
  hostBound: true,
  params: paramsSchema,
  blastRadius: (p) => (p.method === 'GET' ? 'low' : p.method === 'DELETE' ? 'high' : 'medium'),
  describe: (p) =>
    `${p.method} ${p.url}${p.body !== undefined ? ` with ${JSON.stringify(p.body).slice(0, 200)}` : ''}${
      p.undo ? `; undo: ${p.undo.method} ${p.undo.url}` : '; no undo declared'
    }${p.verifyUrl ? `; check after a crash: GET ${p.verifyUrl}` : ''}`,
  targets: (p) => [
    `${p.method} ${targetUrl(p.url)}`,
    ...(p.verifyUrl ? [`check: GET ${targetUrl(p.verifyUrl)}`] : []),
    ...(p.undo ? [`undo: ${p.undo.method} ${targetUrl(p.undo.url)}`] : []),
    ...(p.undo?.verifyUrl ? [`undo check: GET ${targetUrl(p.undo.verifyUrl)}`] : []),
    ...(p.healthUrl ? [`health: GET ${targetUrl(p.healthUrl)}`] : []),
  ],
  async draft(p, ctx) {
    for (const url of urlsOf(p)) checkDraftUrl(url, ctx);
    const body = p.body === undefined ? '' : `\n\n${JSON.stringify(p.body, null, 2)}`;
    return { kind: 'request', text: `${p.method} ${p.url}${body}` };
  },
  async execute(p, ctx) {
    // All of them before the first: a change whose undo or health check would be refused is not made.
    for (const url of urlsOf(p)) checkHost(url, ctx);
    const { status } = await sendOnce(
      p,
      ctx,
      ctx.idempotencyKey,
      `${p.method} ${p.url}`,
      p.undo !== undefined,
    );
    return { undo: p.undo ?? null, status };
  },
  async compensate(p, undo, ctx) {
    if (!undo.undo) throw new PermanentActionError(`no undo request declared for ${p.method} ${p.url}`);
    const request = undo.undo;
    for (const url of [request.url, request.verifyUrl]) if (url !== undefined) checkHost(url, ctx);
    await sendOnce(
      request,
      ctx,
      `${ctx.idempotencyKey}#undo`,
      `undo ${request.method} ${request.url}`,
      false,
    );
  },
  boundsObjections: (p, bounds) => urlObjections(urlFieldsOf(p), bounds.hosts),
  // A request that may have arrived (the connection broke after it was sent, the worker stopped)
  // may have taken effect: its declared undo is what reverses that. One answered with an error,
  // or never sent, took none.
  undoRecordFor: (p, ctx) =>
    effectMayHaveBegun(ctx.stateDir, ctx.idempotencyKey) ? { undo: p.undo ?? null, status: 0 } : undefined,
  retrySafety: (p, ctx, stage) =>
    stage === 'execute'
      ? requestRetrySafety(p, ctx)
      : p.undo
        ? requestRetrySafety(p.undo, ctx)
        : { kind: 'none', why: 'no undo request declared' },
  async verify(p, ctx) {
    if (!p.healthUrl) return { healthy: true, detail: 'no health URL declared' };
    return healthCheck(p.healthUrl, ctx);
  },
};

/** Every URL a step touches: request, its check, undo and its check, health. */
function urlsOf(p: HttpRequestParams): string[] {
  return urlFieldsOf(p)
    .map(([, url]) => url)
    .filter((u): u is string => u !== undefined);
}

/** Every URL the params name, with where it is (`params.undo.url`). */
function urlFieldsOf(p: HttpRequestParams): [string, string | undefined][] {
  return [
    ['params.url', p.url],
    ['params.verifyUrl', p.verifyUrl],
    ['params.undo.url', p.undo?.url],
    ['params.undo.verifyUrl', p.undo?.verifyUrl],
    ['params.healthUrl', p.healthUrl],
  ];
}
