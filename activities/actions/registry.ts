import type { ActionHandler, AnyActionHandler } from './contract';
import { configSet } from './config-set';
import { fileWrite } from './file-write';
import { httpRequest } from './http-request';
import { shellExec } from './shell-exec';

/** Looks handlers up by action type and validates a step's params against the handler's schema. */
export interface ActionRegistry {
  types(): string[];
  get(type: string): ActionHandler;
  /**
   * Validates `params` for `type`.
   *
   * @returns the parsed params, or every problem as `params.<path>: <message>`.
   */
  validate(type: string, params: unknown): { ok: true; params: unknown } | { ok: false; errors: string[] };
}

/** Builds a registry; the built-in handlers unless others are given (tests add fakes this way). */
export function createActionRegistry(handlers: AnyActionHandler[] = BUILT_IN_ACTIONS): ActionRegistry {
  const byType = new Map<string, ActionHandler>();
  for (const h of handlers) {
    if (byType.has(h.type)) throw new Error(`two handlers for action type "${h.type}"`);
    byType.set(h.type, h as ActionHandler);
  }
  return {
    types: () => [...byType.keys()].sort(),
    get(type) {
      const handler = byType.get(type);
      if (!handler)
        throw new Error(`unknown action type "${type}" (known: ${[...byType.keys()].sort().join(', ')})`);
      return handler;
    },
    validate(type, params) {
      const handler = byType.get(type);
      if (!handler)
        return {
          ok: false,
          errors: [`action: unknown action type "${type}" (known: ${[...byType.keys()].sort().join(', ')})`],
        };
      const parsed = handler.params.safeParse(params);
      if (parsed.success) return { ok: true, params: parsed.data };
      return {
        ok: false,
        errors: parsed.error.issues.map(
          (i) =>
            `params${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`,
        ),
      };
    },
  };
}

/** The handlers Ladder ships: http.request, shell.exec, file.write, config.set. */
export const BUILT_IN_ACTIONS: AnyActionHandler[] = [httpRequest, shellExec, fileWrite, configSet];
