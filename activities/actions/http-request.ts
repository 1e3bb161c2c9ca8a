import { z } from 'zod';
import { PermanentActionError, type ActionHandler } from './contract';
import { checkDraftUrl, checkHost, healthCheck, httpCall } from './http-call';
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

/**
 * `http.request`: one HTTP call to an allowed host, with a declared undo request and health URL.
 * Every URL it touches (request, undo, health) must be inside the class's host bound, checked before
 * anything is sent; a class with no host bound allows no call.
 */
export const httpRequest: ActionHandler<HttpRequestParams, HttpRequestUndo> = {
  type: 'http.request',
  params: paramsSchema,
  blastRadius: (p) => (p.method === 'GET' ? 'low' : p.method === 'DELETE' ? 'high' : 'medium'),
  describe: (p) =>
    `${p.method} ${p.url}${p.body !== undefined ? ` with ${JSON.stringify(p.body).slice(0, 200)}` : ''}${
      p.undo ? `; undo: ${p.undo.method} ${p.undo.url}` : '; no undo declared'
    }`,
  async draft(p, ctx) {
    for (const url of [p.url, p.undo?.url, p.healthUrl]) if (url !== undefined) checkDraftUrl(url, ctx);
    const body = p.body === undefined ? '' : `\n\n${JSON.stringify(p.body, null, 2)}`;
    return { kind: 'request', text: `${p.method} ${p.url}${body}` };
  },
  async execute(p, ctx) {
    // All of them before the first: a change whose undo or health check would be refused is not made.
    for (const url of [p.url, p.undo?.url, p.healthUrl]) if (url !== undefined) checkHost(url, ctx);
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
    return healthCheck(p.healthUrl, ctx);
  },
};
