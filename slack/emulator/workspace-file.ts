import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Workspace, WorkspaceSnapshot } from './workspace';

// The emulator's workspace on disk, so a restart of the run command keeps channels, messages and
// the buttons of requests still waiting (Slack keeps them; an emulator that forgot them would leave
// pending approvals with nothing to click).

const channelSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  kind: z.enum(['channel', 'dm']),
  user: z.string().optional(),
});

const messageSchema = z.object({
  ts: z.string().min(1),
  channel: z.string().min(1),
  text: z.string(),
  blocks: z.array(z.unknown()),
  ephemeralTo: z.string().optional(),
  edits: z.number().int().nonnegative(),
  metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()) }).optional(),
});

const snapshotSchema = z.object({
  version: z.literal(1),
  counter: z.number().int().nonnegative(),
  channels: z.array(channelSchema),
  messages: z.record(z.string(), z.array(messageSchema)),
});

/** The workspace file could not be read back: names the file and what is wrong in it. */
export class WorkspaceFileError extends Error {}

/**
 * Reads a workspace saved by {@link persistWorkspace}; null when there is none yet.
 *
 * @throws WorkspaceFileError naming the file and the first problems when it is not valid JSON or
 *   not a saved workspace. Nothing is discarded: the caller stops, and the person moves the file.
 */
export function loadWorkspaceFile(path: string): WorkspaceSnapshot | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new WorkspaceFileError(
      `cannot read the Slack emulator's workspace file ${path}: ${(err as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new WorkspaceFileError(
      `the Slack emulator's workspace file ${path} is not valid JSON (${(err as Error).message}); move it aside to start with an empty workspace`,
    );
  }
  const parsed = snapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
      .join('; ');
    throw new WorkspaceFileError(
      `the Slack emulator's workspace file ${path} is not a saved workspace (${problems}); move it aside to start with an empty workspace`,
    );
  }
  return parsed.data as WorkspaceSnapshot;
}

/** Saving of a workspace to its file, started by {@link persistWorkspace}. */
export interface WorkspacePersistence {
  /** Writes any change not yet saved, now. */
  flush(): void;
  /** Flushes and stops saving. */
  close(): void;
}

/**
 * Saves `workspace` to `path` after every change, at most once per `debounceMs` (default 200 ms),
 * through a temporary file and a rename so a crash mid-write leaves the previous file whole.
 */
export function persistWorkspace(
  workspace: Workspace,
  path: string,
  options: { debounceMs?: number; onError?: (err: Error) => void } = {},
): WorkspacePersistence {
  mkdirSync(dirname(path), { recursive: true });
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  const write = (): void => {
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    try {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(workspace.snapshot()));
      renameSync(tmp, path);
    } catch (err) {
      dirty = true;
      options.onError?.(err as Error);
    }
  };
  workspace.onChange = () => {
    dirty = true;
    timer ??= setTimeout(write, options.debounceMs ?? 200);
  };
  return {
    flush: () => {
      if (timer) clearTimeout(timer);
      write();
    },
    close: () => {
      workspace.onChange = undefined;
      if (timer) clearTimeout(timer);
      write();
    },
  };
}
