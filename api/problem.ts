import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { formatPath } from '../policy/checks';

// RFC 9457 problem details: every error the API (and, in the same words, the MCP tools) reports.

/** One field that is wrong: its path in the request (`steps[0].params.command`) and what was expected. */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem details body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** The kinds of problem the API reports, each with its status and fixed title. */
export const PROBLEMS = {
  'invalid-json': { status: 400, title: 'Request body is not valid JSON' },
  'malformed-request': { status: 400, title: 'Malformed HTTP request' },
  'invalid-request': { status: 422, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Missing, unknown or revoked agent token' },
  forbidden: { status: 403, title: 'Agent not allowed' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Task already finished' },
  'task-id-taken': { status: 409, title: 'Task id already names another request' },
  'too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'headers-too-large': { status: 431, title: 'Request headers too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Ladder is unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

/**
 * The answer for a task id the agent has no task under: another agent's, none at all, or no task id
 * (the same words whichever, so nothing is learnt about other agents' tasks).
 */
export function noSuchTask(taskId: string): ApiProblem {
  return new ApiProblem('not-found', `you have no task "${taskId}"`);
}

/** Thrown anywhere below the routes; the server answers it as problem details. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** Seconds, for 429 and 503. */
    readonly retryAfter?: number,
  ) {
    super(`${PROBLEMS[kind].title}: ${detail}`);
    this.name = 'ApiProblem';
    this.status = PROBLEMS[kind].status;
    this.title = PROBLEMS[kind].title;
  }

  /** The problem details body. */
  toJSON(): Problem {
    return {
      type: `urn:ladder:problem:${this.kind}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.errors && this.errors.length > 0 ? { errors: this.errors } : {}),
    };
  }
}

/** Rebuilds a problem from a body the API sent (the HTTP client side), keeping its exact words. */
export function problemFromBody(body: Problem): ApiProblem {
  const kind = (Object.keys(PROBLEMS) as ProblemKind[]).find((k) => body.type === `urn:ladder:problem:${k}`);
  const problem = new ApiProblem(kind ?? 'unavailable', body.detail, body.errors);
  return problem;
}

/**
 * zod issues as field errors. An unknown key is named by its own path (not its parent's), so the
 * agent sees which field to remove.
 */
export function fieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: (string | number)[] = [],
): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown field' }));
    }
    return [{ path: formatPath(path), message: issue.message }];
  });
}

/** `path: message` lines (as `validateTaskRequest` reports them) as field errors. */
export function fieldErrorsFromLines(lines: readonly string[]): FieldError[] {
  return lines.map((line) => {
    const at = line.indexOf(': ');
    return at < 0
      ? { path: '(root)', message: line }
      : { path: line.slice(0, at), message: line.slice(at + 2) };
  });
}

/** Writes a problem as `application/problem+json`, with `Retry-After` and `WWW-Authenticate` where they apply. */
export function sendProblem(res: ServerResponse, problem: ApiProblem): void {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (problem.retryAfter !== undefined) headers['retry-after'] = String(problem.retryAfter);
  if (problem.status === 401) headers['www-authenticate'] = 'Bearer realm="ladder"';
  res.writeHead(problem.status, headers).end(JSON.stringify(problem.toJSON()));
}
