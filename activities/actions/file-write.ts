import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import type { ActionHandler } from './contract';
import { readInside, removeInside, staysInside, targetPath, writeInside } from './paths';
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
  describe: (p) => `write ${Buffer.byteLength(p.content)} bytes to ${p.path}`,
  targets: (p) => [`write ${targetPath(p.path)}`],
  async draft(p, ctx) {
    const before = readInside(ctx.workspaceRoot, p.path) ?? '';
    return { kind: 'diff', text: createTwoFilesPatch(`a/${p.path}`, `b/${p.path}`, before, p.content) };
  },
  async execute(p, ctx) {
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
    if (undo.previous === null) removeInside(ctx.workspaceRoot, undo.path);
    else writeInside(ctx.workspaceRoot, undo.path, undo.previous);
  },
};
