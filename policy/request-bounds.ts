import { exactUrl, under, type Place } from './environment-targets';

// `bounds.requests`: which HTTP requests a task may send without asking. `bounds.hosts` names hosts
// only, so an agent bounded to the deploy API's host could still DELETE anything on it, or name a
// destructive request as the "undo" the rollback would send on its own. Pure.

/** The methods an entry may name; an entry without one allows any. */
export const REQUEST_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** `POST http://host/deploys`, or a URL alone for any method: the shape the policy loader accepts. */
export const REQUEST_BOUND = new RegExp(`^(?:(?:${REQUEST_METHODS.join('|')}) )?https?://[^\\s?#]+$`);

/** One request a step may send, named by the params field that holds its URL. */
export interface StepRequest {
  /** The step's index in the task. */
  step: number;
  /** `params.url`, `params.undo.url`, `params.healthUrl`… */
  field: string;
  method: string;
  url: string;
}

/** An entry of `bounds.requests`, parsed once per class. */
export interface RequestBound {
  /** Upper case; `undefined`: any method. */
  method: string | undefined;
  /** The URL prefix in {@link exactUrl} form; `undefined` when the entry is not a URL (never matches). */
  prefix: string | undefined;
}

/** Parses `bounds.requests` entries (see {@link REQUEST_BOUND}). */
export function parseRequestBounds(entries: readonly string[]): RequestBound[] {
  return entries.map((entry) => {
    const space = entry.indexOf(' ');
    const method = space > 0 ? entry.slice(0, space) : undefined;
    return { method, prefix: exactUrl(space > 0 ? entry.slice(space + 1) : entry) };
  });
}

/**
 * Whether `request` is one `bounds` allow: an entry with its method (or none) whose URL prefix it
 * lies under, at a `/` boundary. URLs are compared as {@link exactUrl} makes them: host without
 * case, default port dropped, dot segments and unreserved escapes resolved, query and fragment
 * ignored, and the path's case kept (a server may tell `/Deploys` from `/deploys`). A path with an
 * escaped `/`, `\` or `%`, or a `;`, is never allowed.
 */
export function requestAllowed(
  request: Pick<StepRequest, 'method' | 'url'>,
  bounds: readonly RequestBound[],
): boolean {
  const url = exactUrl(request.url);
  // Servers that read a path another way would take it out of the entry it matched: one that
  // decodes an escaped / or \ (or decodes twice: %25) before routing takes `/deploys/..%2F..%2Fadmin`
  // to `/admin`, and Tomcat, Jetty or Spring drop `;parameters` and route `/deploys/..;/admin` to
  // `/admin`. Such a path is never inside an allow-list.
  if (url === undefined || /%2F|%5C|%25|;/i.test(url)) return false;
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i];
    if (
      b.prefix !== undefined &&
      (b.method === undefined || b.method === request.method) &&
      under(url, b.prefix)
    )
      return true;
  }
  return false;
}

/** What names the places one step reaches: the action registry (`ActionRegistry.reaches`). */
export interface StepPlaces {
  reaches(type: string, params: unknown): Place[];
}

/**
 * The HTTP requests a task's steps may send (each request, check, undo, health and reload call),
 * as the action handlers name them, for {@link requestAllowed}.
 *
 * @returns `undefined` when a step's params do not validate: the decision then finds the task
 *   outside `bounds.requests` rather than guess.
 */
export function stepRequests(
  actions: StepPlaces,
  steps: readonly { action: string; params: unknown }[],
): StepRequest[] | undefined {
  const requests: StepRequest[] = [];
  try {
    steps.forEach((s, step) => {
      for (const place of actions.reaches(s.action, s.params))
        if ('url' in place)
          requests.push({ step, field: place.field, method: place.method ?? 'GET', url: place.url });
    });
  } catch {
    return undefined;
  }
  return requests;
}

/**
 * `task` as the worker hands it to `decide()`: with the requests its steps send ({@link stepRequests}).
 * Every caller that decides a task of a class with `bounds.requests` needs them; without them the
 * task is outside those bounds.
 */
export function withStepRequests<T extends { steps: readonly { action: string; params: unknown }[] }>(
  actions: StepPlaces,
  task: T,
): T & { requests: StepRequest[] | undefined } {
  return { ...task, requests: stepRequests(actions, task.steps) };
}
