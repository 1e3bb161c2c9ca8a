import { z } from 'zod';
import { hostListed } from '../../policy/hosts';
import { PermanentActionError, type ActionContext, type ActionHandler, type RetrySafety } from './contract';
import {
  checkDraftUrl,
  checkHost,
  healthCheck,
  httpCall,
  urlObjections,
  probeUrl,
  requestMayHaveArrived,
  targetUrl,
  type HttpRequestSpec,
} from './http-call';
import { effectMayHaveBegun, runEffectOnce } from './undo-journal';
import { credentialKindOf, isCredentialHeader } from '../../policy/credential-detect';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** A header name as HTTP defines it (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * Headers with which a server or proxy takes the request for another one: a method override
 * (express's method-override, Symfony), a rewritten path (IIS, Symfony's `X-Original-URL`), or
 * another host or scheme (`Forwarded`, `X-Forwarded-*`). `bounds.requests`, environment ownership
 * and standing approvals judge the method and URL as sent.
 */
const REROUTING_HEADER =
  /^(?:x-http-method-override|x-http-method|x-method-override|x-original-method|x-original-url|x-rewrite-url|forwarded|x-forwarded-.*)$/i;
/**
 * Headers fetch manages and refuses from a caller (undici's `UND_ERR_INVALID_ARG` or
 * `UND_ERR_NOT_SUPPORTED`): refused at submission, not discovered when the step runs.
 */
const TRANSPORT_HEADER =
  /^(?:content-length|transfer-encoding|connection|keep-alive|upgrade|expect|host|te|trailer)$/i;
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
    else if (REROUTING_HEADER.test(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message:
          'this header makes some servers and proxies serve another method, path or host than the one sent, which bounds and approvers never see',
      });
    else if (TRANSPORT_HEADER.test(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'fetch sets this header itself and refuses a request that names it',
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
    shownUpTo(
      `${describeRequest(p, DESCRIBED)}${p.undo ? `; undo: ${describeRequest(p.undo, DESCRIBED_UNDO)}` : '; no undo declared'}${
        p.verifyUrl ? `; check after a crash: GET ${shownUpTo(targetUrl(p.verifyUrl), DESCRIBED.url)}` : ''
      }`,
      MAX_DESCRIPTION,
    ),
  targets: (p) => [
    `${p.method} ${targetUrl(p.url)}`,
    ...(p.verifyUrl ? [`check: GET ${targetUrl(p.verifyUrl)}`] : []),
    ...(p.undo ? [`undo: ${p.undo.method} ${targetUrl(p.undo.url)}`] : []),
    ...(p.undo?.verifyUrl ? [`undo check: GET ${targetUrl(p.undo.verifyUrl)}`] : []),
    ...(p.healthUrl ? [`health: GET ${targetUrl(p.healthUrl)}`] : []),
  ],
  reaches: (p) => requestsOf(p),
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
  boundsObjections: (p, bounds) => urlObjections(requestsOf(p), bounds.hosts),
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

/** How many characters of each part of a request its description shows. */
interface DescribeBudget {
  url: number;
  headers: number;
  body: number;
}
/**
 * The request's parts as shown to an approver (rung 2's Slack request, the messages of rungs 3-5),
 * each bounded so one step's description stays well inside Slack's 3,000 characters a section
 * (where task-wording puts every step of the task, the whole text cut there with a link to the
 * Temporal UI): 1,350 characters of content, and at most {@link MAX_DESCRIPTION} with the cut
 * markers (plus the last marker).
 */
const DESCRIBED: DescribeBudget = { url: 150, headers: 300, body: 300 };
const DESCRIBED_UNDO: DescribeBudget = { url: 150, headers: 150, body: 150 };
const MAX_DESCRIPTION = 2000;

/** What a cut part says in place of what it leaves out: the approver must never take it as complete. */
function cutMarker(more: number): string {
  return `… (+${more} more characters; the full request is in the task's steps in the Temporal UI)`;
}

/** `text` up to `max` characters (code points), then {@link cutMarker} when longer. */
function shownUpTo(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}${cutMarker(chars.length - max)}`;
}

/**
 * A header value as an approver sees it. The credential check at submission refuses a params header
 * that carries a secret (the worker injects those the policy's `credentials` names, and they are
 * never in params); should one reach here anyway it is not repeated in Slack.
 */
function shownHeaderValue(name: string, value: string): string {
  return isCredentialHeader(name) || credentialKindOf(value) !== undefined
    ? '[a credential: not shown]'
    : value;
}

/**
 * One request as an approver reads it: method and URL, then every header name and value and the
 * body as JSON, each cut at its `budget` with how much more there is and where to read it all.
 */
function describeRequest(r: RequestSpec, budget: DescribeBudget): string {
  const headers = Object.entries(r.headers ?? {});
  const sent: string[] = [];
  if (headers.length > 0) {
    const shown = Object.fromEntries(headers.map(([name, value]) => [name, shownHeaderValue(name, value)]));
    sent.push(`headers ${shownUpTo(JSON.stringify(shown), budget.headers)}`);
  }
  if (r.body !== undefined)
    sent.push(`body ${shownUpTo(JSON.stringify(r.body) ?? String(r.body), budget.body)}`);
  // Where it is sent, as URL resolves it: `/deploys/../admin` reads as the `/admin` it reaches.
  return `${r.method} ${shownUpTo(targetUrl(r.url), budget.url)}${sent.length > 0 ? ` with ${sent.join(' and ')}` : ''}`;
}

/** Every URL a step touches: request, its check, undo and its check, health. */
function urlsOf(p: HttpRequestParams): string[] {
  return requestsOf(p).map(({ url }) => url);
}

/** Every request the step may send, with where its URL is (`params.undo.url`) and its method. */
function requestsOf(p: HttpRequestParams): { field: string; url: string; method: string }[] {
  return [
    { field: 'params.url', url: p.url, method: p.method },
    ...(p.verifyUrl ? [{ field: 'params.verifyUrl', url: p.verifyUrl, method: 'GET' }] : []),
    ...(p.undo ? [{ field: 'params.undo.url', url: p.undo.url, method: p.undo.method }] : []),
    ...(p.undo?.verifyUrl ? [{ field: 'params.undo.verifyUrl', url: p.undo.verifyUrl, method: 'GET' }] : []),
    ...(p.healthUrl ? [{ field: 'params.healthUrl', url: p.healthUrl, method: 'GET' }] : []),
  ];
}
