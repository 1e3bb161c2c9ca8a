import { ownersOf } from './environment-targets';
import type { LoadedPolicy } from './loader';
import { own } from './own';
import { parseRequestBounds, requestAllowed } from './request-bounds';

/** What a step's redirects must fit besides the host bound (a step ref's `place`). */
export interface RedirectPlace {
  /** The task's environment: a hop may not reach a place another environment owns. */
  environment: string;
  /** The task's class, when the step runs under its bounds (nobody approved it): a hop must fit `bounds.requests`. */
  boundedBy?: string;
}

/**
 * Why a redirect to `url`, followed with `method`, may not be followed although its host is in
 * bounds: a place another environment owns (by any reading, see `ownersOf`), or, for a step
 * running under its class's bounds, a request `bounds.requests` does not allow. The checks the
 * submission and the decision made of the URL the step named, made again of where the server sent
 * it. Pure; `policy` is the one in force.
 *
 * @returns why not, or `undefined` when the hop may be followed.
 */
export function redirectObjection(
  policy: Pick<LoadedPolicy, 'environmentTargets' | 'taskClasses'>,
  place: RedirectPlace,
  method: string,
  url: URL,
): string | undefined {
  const table = policy.environmentTargets;
  if (table) {
    const other = ownersOf({ field: 'redirect', url: url.href }, table).find(
      (o) => o.environment !== place.environment,
    );
    if (other)
      return `${url.href} belongs to ${other.environment} (${other.at}: ${JSON.stringify(other.prefix)}), not ${place.environment}`;
  }
  if (place.boundedBy !== undefined) {
    const entries = own(policy.taskClasses, place.boundedBy)?.bounds?.requests;
    if (entries && !requestAllowed({ method, url: url.href }, parseRequestBounds(entries)))
      return `${method} ${url.href} is not in the bounds of ${place.boundedBy} (bounds.requests: ${entries.join(', ')})`;
  }
  return undefined;
}
