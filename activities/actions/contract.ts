import type { z } from 'zod';
import type { CredentialInjector } from './secrets';

/** How much a mistake by this action can hurt; shown to approvers. */
export type BlastRadius = 'low' | 'medium' | 'high';

/** The reviewable artifact a rung-1 task produces instead of acting. */
export interface Draft {
  /** `diff` (unified diff), `request` (an HTTP request), or `command` (a shell command). */
  kind: 'diff' | 'request' | 'command';
  text: string;
}

/** Result of a health check after execution (rung 4). */
export interface Verification {
  healthy: boolean;
  detail: string;
}

/** What every handler gets from the worker: where it may act, and the key that makes retries safe. */
export interface ActionContext {
  /**
   * Unique per workflow step (`<workflowId>#<step>`): a retried activity carries the same key, and a
   * handler uses it so the effect happens once.
   */
  idempotencyKey: string;
  /** Root folder file.write and config.set may touch; nothing outside it. */
  workspaceRoot: string;
  /** Where handlers journal undo records by idempotency key (outside the workspace, so actions cannot touch it). */
  stateDir: string;
  /** Folder shell.exec runs in; commands start there. */
  sandboxDir: string;
  /** Hosts http.request may call; `undefined` means the policy sets no host bound. */
  allowedHosts?: readonly string[];
  /**
   * Adds the headers the policy's credentials name for a request's host; `undefined` means none.
   * The values stay inside the handler: never in results, errors or drafts.
   */
  credentials?: CredentialInjector;
  /** Aborts long operations when the activity is cancelled. */
  signal?: AbortSignal;
}

/** Raised for failures a retry cannot fix (bad params, path outside the workspace, 4xx): non-retryable. */
export class PermanentActionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentActionError';
  }
}

/**
 * One kind of action an agent can take. `execute` returns what `compensate` needs to undo it;
 * that value goes into workflow history, so it must be JSON-serializable.
 */
export interface ActionHandler<P = unknown, U = unknown> {
  type: string;
  params: z.ZodType<P>;
  blastRadius(params: P): BlastRadius;
  /** One or two lines for the human: exactly what will happen. */
  describe(params: P): string;
  /** The rung-1 artifact; reads, never writes. */
  draft(params: P, ctx: ActionContext): Promise<Draft>;
  /** Performs the action once per idempotency key and returns the undo record. */
  execute(params: P, ctx: ActionContext): Promise<U>;
  /** Reverses `execute`; safe to run more than once. */
  compensate(params: P, undo: U, ctx: ActionContext): Promise<void>;
  /**
   * For a step whose `execute` failed: the undo record it journaled before acting, if it got that
   * far, so the saga can undo a half-done step. Handlers whose effect is all-or-nothing omit it.
   */
  undoRecordFor?(params: P, ctx: ActionContext): U | undefined;
  /** Optional health check for the rollback window. */
  verify?(params: P, ctx: ActionContext): Promise<Verification>;
}

/**
 * A handler of any param type, for lists of handlers (TypeScript has no existential types).
 * Params are validated by the handler's own schema before they reach it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionHandler = ActionHandler<any, any>;
