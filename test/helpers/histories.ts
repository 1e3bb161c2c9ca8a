import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { TEST_ENV } from '../setup/shared-state';
import { testServerAddress } from './temporal';

/** Committed workflow histories that the replay test runs against the current workflow code. */
export const HISTORIES_DIR = join(__dirname, '..', 'fixtures', 'histories');

/**
 * When `LADDER_RECORD_HISTORIES=1`, writes the handle's history as a replay fixture named
 * `<workflowType>.<variant>.json`. Recording is deliberate (a new fixture is a reviewed change),
 * never automatic.
 */
export function maybeRecordHistory(handle: WorkflowHandle, workflowType: string, variant: string): void {
  if (process.env.LADDER_RECORD_HISTORIES !== '1') return;
  // The CLI's JSON is the canonical history format that historyFromJSON (and the Temporal UI) read.
  const json = execFileSync(
    process.env[TEST_ENV.cliPath]!,
    [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--address',
      testServerAddress(),
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
  writeFileSync(join(HISTORIES_DIR, `${workflowType}.${variant}.json`), json);
  // Histories do not carry the workflow id, and answers are signed for one workflow: replay needs it.
  writeFileSync(join(HISTORIES_DIR, `${workflowType}.${variant}.workflow-id`), `${handle.workflowId}\n`);
}

/** Lists the committed fixtures as `{ file, workflowType, workflowId, history }`. */
export function committedHistories(): {
  file: string;
  workflowType: string;
  workflowId: string | undefined;
  history: unknown;
}[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const idFile = join(HISTORIES_DIR, file.replace(/\.json$/, '.workflow-id'));
      return {
        file,
        workflowType: file.split('.')[0],
        workflowId: existsSync(idFile) ? readFileSync(idFile, 'utf8').trim() : undefined,
        history: JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as unknown,
      };
    });
}

/**
 * The activity types of the local activities a workflow ran, in order, read from the markers in
 * its history (what a look-up that holds the workflow task costs shows up as).
 */
export async function localActivityTypes(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const payload = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    if (!payload) return [];
    const marker = JSON.parse(Buffer.from(payload).toString('utf8')) as { activity_type?: string };
    return marker.activity_type ? [marker.activity_type] : [];
  });
}

/**
 * The search attributes each upsert in the workflow's history set, one sorted list of names per
 * upsert event, in order (what the server wrote to visibility, and how many times).
 */
export async function upsertedAttributes(handle: WorkflowHandle): Promise<string[][]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    return fields ? [Object.keys(fields).sort()] : [];
  });
}

/**
 * Whether the workflow has handled its cancellation request: a workflow task completed (or the
 * workflow closed) after the request in its history. A test that holds an activity waits on this
 * before releasing it, so the workflow meets the cancellation with the activity still in flight.
 */
export async function cancellationHandled(handle: WorkflowHandle): Promise<boolean> {
  const { events } = await handle.fetchHistory();
  const all = events ?? [];
  const requested = all.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
  return (
    requested >= 0 &&
    all
      .slice(requested + 1)
      .some((e) => e.workflowTaskCompletedEventAttributes || e.workflowExecutionCanceledEventAttributes)
  );
}
