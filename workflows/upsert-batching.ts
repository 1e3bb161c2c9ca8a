/**
 * One search-attribute upsert per workflow task. A task sets several search attributes at once in
 * places (its rung as the decision lands, then who its question waits on as it is asked), each
 * with its own `upsertSearchAttributes` call; unmerged, each call is an event in the task's
 * history and a visibility write on the server. This interceptor merges every upsert an
 * activation makes into one command at the position of the first, later values of an attribute
 * replacing earlier ones, so the server applies the same attributes in the same workflow task.
 *
 * Deterministic: the merge depends only on the commands the activation produced, so a replay
 * produces the same command as the first run. Stateless, so it is safe to share between workflows.
 */
import type {
  ConcludeActivationInput,
  ConcludeActivationOutput,
  Next,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
} from '@temporalio/workflow';

/** One command of an activation's completion, as the SDK hands it to internals interceptors. */
type WorkflowCommand = ConcludeActivationInput['commands'][number];

/**
 * Merges the search-attribute upserts among `commands` into one, placed where the first of them
 * was; every other command keeps its place and order. A later value of an attribute (a removal
 * included) replaces an earlier one, as applying the upserts one after another would.
 *
 * @returns `commands` itself when it holds fewer than two upserts, else a new array.
 */
export function mergeSearchAttributeUpserts(commands: WorkflowCommand[]): WorkflowCommand[] {
  const upserts = commands.filter((c) => c.upsertWorkflowSearchAttributes);
  if (upserts.length < 2) return commands;
  const indexedFields = Object.assign(
    {},
    ...upserts.map((c) => c.upsertWorkflowSearchAttributes?.searchAttributes?.indexedFields ?? {}),
  ) as Record<string, unknown>;
  const first = upserts[0];
  const merged: WorkflowCommand = {
    ...first,
    upsertWorkflowSearchAttributes: {
      ...first.upsertWorkflowSearchAttributes,
      searchAttributes: { indexedFields } as NonNullable<
        WorkflowCommand['upsertWorkflowSearchAttributes']
      >['searchAttributes'],
    },
  };
  const out: WorkflowCommand[] = [];
  for (const command of commands) {
    if (!command.upsertWorkflowSearchAttributes) out.push(command);
    else if (command === first) out.push(merged);
  }
  return out;
}

class OneUpsertPerActivation implements WorkflowInternalsInterceptor {
  concludeActivation(
    input: ConcludeActivationInput,
    next: Next<WorkflowInternalsInterceptor, 'concludeActivation'>,
  ): ConcludeActivationOutput {
    return next({ ...input, commands: mergeSearchAttributeUpserts(input.commands) });
  }
}

/** Registered on every Ladder workflow through the worker's bundle (see `worker/create-worker.ts`). */
export const interceptors = (): WorkflowInterceptors => ({ internals: [new OneUpsertPerActivation()] });
