import type { Place } from '../../policy/environment-targets';
import type { ActionHandler, AnyActionHandler, SubmissionBounds } from './contract';
import { configSet } from './config-set';
import { fileWrite } from './file-write';
import { httpRequest } from './http-request';
import { shellExec } from './shell-exec';

/** Looks handlers up by action type and validates a step's params against the handler's schema. */
export interface ActionRegistry {
  types(): string[];
  get(type: string): ActionHandler;
  /**
   * Validates `params` for `type`, and with `bounds` (a submission), what the class's bounds would
   * refuse when the step runs (see {@link ActionHandler.boundsObjections}).
   *
   * @returns the parsed params, or every problem as `params.<path>: <message>`.
   */
  validate(
    type: string,
    params: unknown,
    bounds?: SubmissionBounds,
  ): { ok: true; params: unknown } | { ok: false; errors: string[] };
  /**
   * What a step of `type` with `params` acts on (see {@link ActionHandler.targets}): what a standing
   * approval is scoped to.
   *
   * @throws Error naming the action or the first problem with the params, when they are not valid.
   */
  targets(type: string, params: unknown): string[];
  /**
   * The URLs and workspace paths a step of `type` reaches (see {@link ActionHandler.reaches}), for
   * the check against the policy's `environmentTargets`.
   *
   * @throws Error naming the action or the first problem with the params, when they are not valid.
   */
  reaches(type: string, params: unknown): Place[];
}

/** Builds a registry; the built-in handlers unless others are given (tests add fakes this way). */
export function createActionRegistry(handlers: AnyActionHandler[] = BUILT_IN_ACTIONS): ActionRegistry {
  const byType = new Map<string, ActionHandler>();
  for (const h of handlers) {
    if (byType.has(h.type)) throw new Error(`two handlers for action type "${h.type}"`);
    byType.set(h.type, h as ActionHandler);
  }
  const validate: ActionRegistry['validate'] = (type, params, bounds) => {
    const handler = byType.get(type);
    if (!handler)
      return {
        ok: false,
        errors: [`action: unknown action type "${type}" (known: ${[...byType.keys()].sort().join(', ')})`],
      };
    const parsed = handler.params.safeParse(params);
    if (parsed.success) {
      const refused = bounds ? (handler.boundsObjections?.(parsed.data, bounds) ?? []) : [];
      return refused.length > 0 ? { ok: false, errors: refused } : { ok: true, params: parsed.data };
    }
    // A key that is not a plain name (control characters, spaces) is quoted, so it shows as it is.
    const at = (path: readonly PropertyKey[]): string =>
      `params${path
        .map((p) =>
          typeof p === 'number'
            ? `[${p}]`
            : /^[A-Za-z0-9_-]+$/.test(String(p))
              ? `.${String(p)}`
              : `[${JSON.stringify(String(p))}]`,
        )
        .join('')}`;
    return {
      ok: false,
      errors: parsed.error.issues.flatMap((i) => {
        // Each unknown key at its own path, so the message names what to remove.
        if (i.code === 'unrecognized_keys')
          return i.keys.map((k) => `${at([...i.path, k])}: unknown parameter of ${type}`);
        // A bad record key: the key's own rule says what was expected, not "Invalid key in record".
        if (i.code === 'invalid_key' && i.issues[0])
          return [`${at(i.path)}: invalid key: ${i.issues[0].message}`];
        return [`${at(i.path)}: ${i.message}`];
      }),
    };
  };
  return {
    types: () => [...byType.keys()].sort(),
    get(type) {
      const handler = byType.get(type);
      if (!handler)
        throw new Error(`unknown action type "${type}" (known: ${[...byType.keys()].sort().join(', ')})`);
      return handler;
    },
    validate,
    targets(type, params) {
      const checked = validate(type, params);
      if (!checked.ok) throw new Error(`${type}: params are not valid (${checked.errors[0]})`);
      return byType.get(type)!.targets(checked.params);
    },
    reaches(type, params) {
      const checked = validate(type, params);
      if (!checked.ok) throw new Error(`${type}: params are not valid (${checked.errors[0]})`);
      return byType.get(type)!.reaches(checked.params);
    },
  };
}

/** The handlers Ladder ships: http.request, shell.exec, file.write, config.set. */
export const BUILT_IN_ACTIONS: AnyActionHandler[] = [httpRequest, shellExec, fileWrite, configSet];
