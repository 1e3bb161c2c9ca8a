import { z } from 'zod';
import { PermanentActionError, type ActionHandler } from './contract';
import { checkHost, credentialsFor, httpCall } from './http-call';
import { completeOnce } from './undo-journal';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const requestSchema = z.strictObject({
  method: z.enum(METHODS, { message: `expected one of ${METHODS.join(', ')}` }),
  url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
});

const paramsSchema = requestSchema.extend({
  undo: requestSchema
    .optional()
    .meta({ description: 'the request that reverses this one (rung 4 needs it)' }),
  healthUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional(),
});
export type HttpRequestParams = z.output<typeof paramsSchema>;
export interface HttpRequestUndo {
  undo: z.output<typeof requestSchema> | null;
  status: number;
}

/** `http.request`: one HTTP call to an allowed host, with a declared undo request and health URL. */
export const httpRequest: ActionHandler<HttpRequestParams, HttpRequestUndo> = {
  type: 'http.request',
  params: paramsSchema,
  blastRadius: (p) => (p.method === 'GET' ? 'low' : p.method === 'DELETE' ? 'high' : 'medium'),
  describe: (p) =>
    `${p.method} ${p.url}${p.body !== undefined ? ` with ${JSON.stringify(p.body).slice(0, 200)}` : ''}${
      p.undo ? `; undo: ${p.undo.method} ${p.undo.url}` : '; no undo declared'
    }`,
  async draft(p, ctx) {
    checkHost(p.url, ctx);
    const body = p.body === undefined ? '' : `\n\n${JSON.stringify(p.body, null, 2)}`;
    return { kind: 'request', text: `${p.method} ${p.url}${body}` };
  },
  async execute(p, ctx) {
    const { status } = await completeOnce(ctx.stateDir, ctx.idempotencyKey, () => httpCall(p, ctx));
    return { undo: p.undo ?? null, status };
  },
  async compensate(p, undo, ctx) {
    if (!undo.undo) throw new PermanentActionError(`no undo request declared for ${p.method} ${p.url}`);
    const key = `${ctx.idempotencyKey}#undo`;
    await completeOnce(ctx.stateDir, key, () => httpCall(undo.undo!, ctx, key));
  },
  async verify(p, ctx) {
    if (!p.healthUrl) return { healthy: true, detail: 'no health URL declared' };
    const url = checkHost(p.healthUrl, ctx);
    const credentials = await credentialsFor(url, ctx);
    try {
      const response = await fetch(url, {
        headers: credentials.headers,
        redirect: credentials.redirect,
        signal: ctx.signal,
      });
      return { healthy: response.ok, detail: `GET ${p.healthUrl} → ${response.status}` };
    } catch (err) {
      return {
        healthy: false,
        detail: `GET ${p.healthUrl} failed: ${credentials.redact((err as Error).message)}`,
      };
    }
  },
};
