import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import type { ActionHandler } from './contract';
import {
  checkOwnerAfterLinks,
  readInside,
  removeInside,
  staysInside,
  targetPath,
  writeInside,
} from './paths';
import { recordedUndo, recordOnce } from './undo-journal';

const paramsSchema = z.strictObject({
  path: z
    .string({ message: 'expected a path relative to the workspace' })
    .min(1, { message: 'expected a path relative to the workspace' })
    .superRefine(staysInside('workspace')),
  content: z.string({ message: 'expected the new file content as a string' }),
});
export type FileWriteParams = z.output<typeof paramsSchema>;
/** What to restore: the previous content, or `null` when the file did not exist. */
export interface FileWriteUndo {
  path: string;
  previous: string | null;
}

/** How many characters of the content and of the path a description shows. */
const CONTENT_SHOWN = 200;
const PATH_SHOWN = 200;

/**
 * `text` up to `max` characters (code points), then how many more there are and where to read them
 * all (`what`: the path, the content), so a cut text never reads as complete.
 */
function shownUpTo(text: string, max: number, what: string): string {
  const chars = Array.from(text);
  return chars.length <= max
    ? text
    : `${chars.slice(0, max).join('')}… (+${chars.length - max} more characters; the full ${what} is in the task's steps in the Temporal UI)`;
}

/**
 * The start of the content as an approver reads it: as a JSON string, so line breaks and tabs show
 * as `\n` and `\t` instead of breaking the step's line, and an empty file reads `""`.
 */
function contentPreview(content: string): string {
  const chars = Array.from(content);
  if (chars.length <= CONTENT_SHOWN) return JSON.stringify(content);
  const shown = JSON.stringify(chars.slice(0, CONTENT_SHOWN).join(''));
  return `${shown}… (+${chars.length - CONTENT_SHOWN} more characters; the full content is in the task's steps in the Temporal UI)`;
}

/**
 * `file.write`: replaces a file inside the workspace; the draft is a unified diff, undo restores the old bytes.
 * Every read and write resolves the path after each symlink and never follows one at the file itself
 * (see {@link writeInside}), so a link planted or swapped in by the agent cannot lead outside.
 */
export const fileWrite: ActionHandler<FileWriteParams, FileWriteUndo> = {
  type: 'file.write',
  hostBound: true,
  params: paramsSchema,
  blastRadius: () => 'medium',
  describe: (p) =>
    `write ${Buffer.byteLength(p.content)} bytes to ${shownUpTo(p.path, PATH_SHOWN, 'path')}: ${contentPreview(p.content)}`,
  targets: (p) => [`write ${targetPath(p.path)}`],
  reaches: (p) => [{ field: 'params.path', path: p.path }],
  async draft(p, ctx) {
    const before = readInside(ctx.workspaceRoot, p.path) ?? '';
    return { kind: 'diff', text: createTwoFilesPatch(`a/${p.path}`, `b/${p.path}`, before, p.content) };
  },
  async execute(p, ctx) {
    checkOwnerAfterLinks(ctx.workspaceRoot, p.path, ctx.environmentTargets);
    const undo = recordOnce<FileWriteUndo>(ctx.stateDir, ctx.idempotencyKey, () => ({
      path: p.path,
      previous: readInside(ctx.workspaceRoot, p.path),
    }));
    writeInside(ctx.workspaceRoot, p.path, p.content); // same bytes on a retry: idempotent
    return undo;
  },
  retrySafety: () => ({
    kind: 'repeatable',
    why: 'writing the same bytes again leaves the same file; the first snapshot is the one restored',
  }),
  undoRecordFor: (_p, ctx) => recordedUndo<FileWriteUndo>(ctx.stateDir, ctx.idempotencyKey),
  async compensate(_p, undo, ctx) {
    checkOwnerAfterLinks(ctx.workspaceRoot, undo.path, ctx.environmentTargets);
    if (undo.previous === null) removeInside(ctx.workspaceRoot, undo.path);
    else writeInside(ctx.workspaceRoot, undo.path, undo.previous);
  },
};
