import type { z } from 'zod';
import type { EnvironmentTargets, Place } from '../../policy/environment-targets';
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
   * Why a redirect to `url`, followed with `method`, may not be followed although its host is in
   * bounds (another environment's place, a request outside the class's `bounds.requests`), or
   * `undefined` when it may. Absent: the host bound alone decides.
   */
  checkRedirect?: (method: string, url: URL) => string | undefined;
  /**
   * Adds the headers the policy's credentials name for a request's host; `undefined` means none.
   * The values stay inside the handler: never in results, errors or drafts.
   */
  credentials?: CredentialInjector;
  /**
   * Files the policy in force names as holding secrets (its credentials' `secret.file`), read when
   * the step starts: shell.exec hides them from the commands it runs. `undefined` means none.
   */
  secretFiles?: readonly string[];
  /**
   * What the policy in force says each environment owns: file.write and config.set refuse a path
   * whose symlinks lead into another environment's files. `undefined` means nothing is owned.
   */
  environmentTargets?: EnvironmentTargets;
  /** Aborts long operations when the activity is cancelled. */
  signal?: AbortSignal;
  /**
   * Hosts (`host[:port]`) the policy's `destinations` declare to honour `Idempotency-Key`: a request
   * to one of them may be sent again after an attempt whose outcome is unknown.
   */
  idempotentHosts?: readonly string[];
  /**
   * A person's answer after this step's outcome was unknown: `ran` records the effect as done
   * without repeating it, `run-again` repeats it. Absent on every ordinary attempt.
   */
  resolution?: OutcomeResolution;
}

/**
 * What a person said about an effect whose outcome was unknown (besides undoing it), and which
 * unknown attempt they answered about: `run-again` repeats the effect only while that attempt's
 * start marker is the one journaled, so a repeat that itself dies is asked about again, never
 * repeated on the strength of the earlier answer.
 */
export interface OutcomeResolution {
  answer: 'ran' | 'run-again';
  /** The `marker` of the {@link OutcomeUnknownError} the person answered. */
  marker: string;
}

/**
 * How an action makes a retry safe after an attempt whose outcome is unknown (the worker died, or
 * the connection broke, after the effect may have reached its destination):
 * - `repeatable`: doing it again leaves the same state (a file written with the same bytes);
 * - `key-honoured`: the destination deduplicates by the step's `Idempotency-Key` (declared per
 *   host in the policy's `destinations`);
 * - `verifiable`: `check` tells whether the effect happened (`undefined`: it cannot tell);
 * - `none`: nothing does; the task stops in the *outcome unknown* state and a person decides.
 */
export type RetrySafety =
  | { kind: 'repeatable' | 'key-honoured' | 'none'; why: string }
  | { kind: 'verifiable'; why: string; check: () => Promise<boolean | undefined> };

/**
 * Raised instead of repeating an effect blindly: an earlier attempt started it and never recorded
 * how it ended, and the action has no safe way to retry. Non-retryable; the workflow asks a person.
 */
export class OutcomeUnknownError extends Error {
  /**
   * @param marker - the unknown attempt's start marker (its time and a random part): it names
   *   the attempt a person's answer is about.
   * @param undoable - whether the step declares an undo a person may ask for instead.
   */
  constructor(
    message: string,
    readonly marker: string,
    readonly undoable = false,
  ) {
    super(message);
    this.name = 'OutcomeUnknownError';
  }
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
  /**
   * The action acts on the worker host's own files (the workspace, the sandbox), or journals its
   * undo records or attempt markers in the host's state folder: its draft, retries, health checks
   * and compensation must run on the host where it started. Where workers run with
   * `LADDER_WORKER_HOST`, such steps go to that host's task queue (see `hostTaskQueue` in
   * host-queue.ts). Only an action that keeps nothing on the host may omit it.
   */
  hostBound?: boolean;
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
   * For a step whose `execute` failed or never reported: the undo record it journaled before
   * acting, if it got that far, so the saga can undo a half-done step; for an effect that takes no
   * snapshot (a request, a command), the record its declared undo needs when the effect may have
   * begun. `undefined`: no attempt can have changed anything. Without it, a failed step counts as
   * having changed nothing.
   */
  undoRecordFor?(params: P, ctx: ActionContext): U | undefined;
  /** Optional health check for the rollback window. */
  verify?(params: P, ctx: ActionContext): Promise<Verification>;
  /**
   * How a retry of `execute` (stage `execute`) or of `compensate` (stage `compensate`) after an
   * attempt whose outcome is unknown is made safe; shown to people by `ladder policy explain`.
   */
  retrySafety(params: P, ctx: ActionContext, stage: EffectStage): RetrySafety;
  /**
   * What in valid params the policy's bounds would refuse when the step runs (a URL with a
   * password, a host outside the class's host bound), as `params.<field>: why`: checked when the
   * task is submitted, so a task is never approved with a step that can only fail after the steps
   * before it took effect. Pure: no I/O. Empty when there is nothing to refuse.
   */
  boundsObjections?(params: P, bounds: SubmissionBounds): string[];
  /**
   * What the step acts on, one line per thing it may change or call (`write flags/a.json`,
   * `POST https://host/path`, `undo: DELETE https://host/path/1`), in a canonical form: equal
   * targets mean the same file, key, URL or command. A standing approval covers exactly the targets
   * of the task it was granted from, never the agent's own `resource` label. What a step writes
   * (content, values, a request's body and headers) is not a target. Pure: no I/O.
   */
  targets(params: P): string[];
  /**
   * Every URL the step may call and every workspace path it may change, each named by its params
   * field (`params.url`, `params.file`): checked at submission against what the policy's
   * `environmentTargets` say each environment owns, so a step that reaches production's places
   * cannot run under another environment's name. Paths as written (relative to the workspace);
   * a handler that reaches neither (shell.exec, confined to its sandbox) returns none. Pure.
   */
  reaches(params: P): Place[];
}

/** What of a task class's bounds an action's params can be checked against at submission. */
export interface SubmissionBounds {
  /** The class's host bound (`bounds.hosts`); `undefined`: none, so no call may be made, only drafted. */
  hosts?: readonly string[];
}

/** Which effect of a step: the action itself, or its compensation. */
export type EffectStage = 'execute' | 'compensate';

/**
 * A handler of any param type, for lists of handlers (TypeScript has no existential types).
 * Params are validated by the handler's own schema before they reach it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActionHandler = ActionHandler<any, any>;
