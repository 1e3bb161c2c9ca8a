import { z } from 'zod';
import {
  problemSchema,
  rungsViewSchema,
  submitResultSchema,
  submitTaskBodySchema,
  taskIdSchema,
  taskViewSchema,
} from './schemas';

/** A zod schema as an OpenAPI 3.1 schema object (JSON Schema 2020-12, which 3.1 uses as is). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const common = {
  '401': problem('missing, unknown or revoked token (with WWW-Authenticate: Bearer)'),
  '429': problem('over the per-agent rate limit; Retry-After says when to try again'),
  '431': problem('request line and headers over 16 KB together (e.g. a task id too long)'),
  '503': problem('Temporal did not answer'),
  '500': problem('Ladder failed to answer; its log says why'),
};
const taskIdParam = {
  name: 'taskId',
  in: 'path',
  required: true,
  schema: schemaOf(taskIdSchema, 'input'),
};

/**
 * The API's OpenAPI 3.1 document, generated from the same zod schemas the server validates
 * requests with and shapes responses by.
 */
export function buildOpenApi(serverUrl?: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ladder agent API',
      version: '1',
      description:
        'Agents submit tasks and follow them. Identity comes from the bearer token (ldr_<id>_<secret>): a task id is scoped to its agent, so another agent’s task is 404.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: {
      '/v1/tasks': {
        post: {
          operationId: 'submitTask',
          summary: 'submit a task; answers once its rung is decided',
          requestBody: { required: true, content: json('SubmitTaskRequest') },
          responses: {
            '201': { description: 'submitted', content: json('SubmitResult') },
            '200': { description: 'this task id was submitted before', content: json('SubmitResult') },
            '400': problem('body is not JSON'),
            '413': problem('body over 1 MB'),
            '415': problem('body is not application/json'),
            '422': problem('invalid task; errors names every field'),
            '409': problem('this task id was submitted before with another request; nothing was started'),
            '403': problem('the agent is not declared in the policy'),
            ...common,
          },
        },
      },
      '/v1/tasks/{taskId}': {
        get: {
          operationId: 'getTask',
          summary: "a task's status and decision",
          parameters: [taskIdParam],
          responses: {
            '200': { description: 'the task', content: json('Task') },
            '404': problem('you have no such task'),
            ...common,
          },
        },
      },
      '/v1/tasks/{taskId}/wait': {
        get: {
          operationId: 'waitForTask',
          summary: 'long poll: answers when the task finished or the timeout passed',
          parameters: [
            taskIdParam,
            {
              name: 'timeout',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 60, default: 25 },
            },
          ],
          responses: {
            '200': { description: 'the task (done: true once it finished)', content: json('Task') },
            '404': problem('you have no such task'),
            '422': problem('bad timeout'),
            ...common,
          },
        },
      },
      '/v1/tasks/{taskId}/cancel': {
        post: {
          operationId: 'cancelTask',
          summary: 'withdraw a task before its steps start',
          parameters: [taskIdParam],
          responses: {
            '202': { description: 'cancellation requested', content: json('Task') },
            '404': problem('you have no such task'),
            '409': problem(
              'the task already finished, or its steps started (only a person can stop it then)',
            ),
            ...common,
          },
        },
      },
      '/v1/me/rungs': {
        get: {
          operationId: 'myRungs',
          summary: 'your rung per task class and what the next rung still needs',
          responses: {
            '200': { description: 'rungs', content: json('Rungs') },
            '403': problem('the agent is not declared in the policy'),
            ...common,
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'this document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'ldr_<tokenId>_<secret>' } },
      schemas: {
        SubmitTaskRequest: schemaOf(submitTaskBodySchema, 'input'),
        SubmitResult: schemaOf(submitResultSchema, 'output'),
        Task: schemaOf(taskViewSchema, 'output'),
        Rungs: schemaOf(rungsViewSchema, 'output'),
        Problem: schemaOf(problemSchema, 'output'),
      },
    },
  };
}
