import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { createActionRegistry } from '../../activities/actions/registry';
import { createAgentService } from '../../api/agent-service';
import { buildOpenApi } from '../../api/openapi';
import { startApiServer, type RunningApi } from '../../api/server';
import { createAgentToken, lookupAgentToken } from '../../client/agent-tokens';
import { loadAnswerSigner, localKeyLayout, type AnswerSigner } from '../../client/answer-signer';
import { createLogger } from '../../config/logger';
import type { LoadedPolicy } from '../../policy/loader';
import type { TestStack } from '../helpers/temporal';

const ROOT = resolve(__dirname, '..', '..');

/** The local stack's own key of `person` (global setup makes one per person the policies name). */
export function operatorKey(person: string): AnswerSigner {
  return loadAnswerSigner(localKeyLayout(join(ROOT, '.temporal', 'keys')).operatorKey(person));
}

/** An API server on a free loopback port, in front of the stack's Temporal and task queue. */
export function startApi(
  stack: TestStack,
  policy: () => LoadedPolicy = () => stack.policy.current,
): Promise<RunningApi> {
  return startApiServer(
    {
      service: createAgentService({
        client: stack.client,
        taskQueue: stack.taskQueue,
        policy,
        actions: createActionRegistry(),
      }),
      lookupToken: (tokenId) => lookupAgentToken(stack.client, stack.taskQueue, tokenId),
      policy,
      log: createLogger('api-test', 'silent'),
      // As api/main.ts wires it: closing the server aborts the Temporal long poll behind an agent's wait.
      withAbortSignal: (signal, fn) => stack.client.withAbortSignal(signal, fn),
    },
    0,
  );
}

/** A fresh token for `agentId`, created by the policy admin U0ADMIN01 with their own key. */
export async function newToken(
  stack: TestStack,
  agentId: string,
): Promise<{ token: string; tokenId: string }> {
  const { token, receipt } = await createAgentToken(
    stack.client,
    { taskQueue: stack.taskQueue, signer: operatorKey('U0ADMIN01') },
    { agentId, by: 'U0ADMIN01' },
  );
  return { token, tokenId: receipt.tokenId };
}

export interface Answer {
  status: number;
  headers: Headers;
  contentType: string;
  body: any;
}

/**
 * Checks a response against the OpenAPI document the server publishes (generated from its zod
 * schemas): the operation exists, the status is documented, and the body fits its schema.
 */
export function openApiChecker(doc = buildOpenApi() as any) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const templates = Object.keys(doc.paths).map((t) => ({
    template: t,
    re: new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  return (method: string, path: string, answer: Answer): void => {
    const pathOnly = path.split('?')[0];
    const found = templates.find((t) => t.re.test(pathOnly));
    const op = found ? doc.paths[found.template][method.toLowerCase()] : undefined;
    let ref: string;
    if (!op) {
      // Routes and methods the document does not have are answered as problems (404/405).
      if (![404, 405].includes(answer.status) || answer.contentType !== 'application/problem+json')
        throw new Error(`${method} ${pathOnly}: not in the OpenAPI document, yet answered ${answer.status}`);
      ref = 'Problem';
    } else {
      const response = op.responses[String(answer.status)];
      if (!response)
        throw new Error(`${method} ${found!.template}: status ${answer.status} is not documented`);
      const media = response.content?.[answer.contentType];
      if (!media)
        throw new Error(
          `${method} ${found!.template} ${answer.status}: content type ${answer.contentType} is not documented`,
        );
      if (!media.schema) return;
      ref = String(media.schema.$ref).replace('#/components/schemas/', '');
    }
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.compile(doc.components.schemas[ref]);
      compiled.set(ref, validate);
    }
    if (!validate(answer.body)) {
      throw new Error(
        `${method} ${pathOnly} ${answer.status}: body does not fit ${ref}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body)}`,
      );
    }
  };
}

/** An HTTP client for tests: every answer is checked against the OpenAPI document. */
export function apiClient(baseUrl: () => string) {
  const check = openApiChecker();
  return async function call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { token?: string; json?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    if (options.raw !== undefined) body = options.raw;
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl()}${path}`, { method, headers, body });
    const text = await res.text();
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0];
    const answer: Answer = {
      status: res.status,
      headers: res.headers,
      contentType,
      body: text ? JSON.parse(text) : null,
    };
    check(method, path, answer);
    return answer;
  };
}
