import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import type { ActionHandler } from './contract';
import { insideRoot } from './paths';
import { recordedUndo, recordOnce } from './undo-journal';

const paramsSchema = z.strictObject({
  path: z
    .string({ message: 'expected a path relative to the workspace' })
    .min(1, { message: 'expected a path relative to the workspace' }),
  content: z.string({ message: 'expected the new file content as a string' }),
});
export type FileWriteParams = z.output<typeof paramsSchema>;
/** What to restore: the previous content, or `null` when the file did not exist. */
export interface FileWriteUndo {
  path: string;
  previous: string | null;
}

function read(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** `file.write`: replaces a file inside the workspace; the draft is a unified diff, undo restores the old bytes. */
export const fileWrite: ActionHandler<FileWriteParams, FileWriteUndo> = {
  type: 'file.write',
  params: paramsSchema,
  blastRadius: () => 'medium',
  describe: (p) => `write ${Buffer.byteLength(p.content)} bytes to ${p.path}`,
  async draft(p, ctx) {
    const before = read(insideRoot(ctx.workspaceRoot, p.path)) ?? '';
    return { kind: 'diff', text: createTwoFilesPatch(`a/${p.path}`, `b/${p.path}`, before, p.content) };
  },
  async execute(p, ctx) {
    const target = insideRoot(ctx.workspaceRoot, p.path);
    const undo = recordOnce<FileWriteUndo>(ctx.stateDir, ctx.idempotencyKey, () => ({
      path: p.path,
      previous: read(target),
    }));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, p.content); // same bytes on a retry: idempotent
    return undo;
  },
  undoRecordFor: (_p, ctx) => recordedUndo<FileWriteUndo>(ctx.stateDir, ctx.idempotencyKey),
  async compensate(_p, undo, ctx) {
    const target = insideRoot(ctx.workspaceRoot, undo.path);
    if (undo.previous === null) rmSync(target, { force: true });
    else writeFileSync(target, undo.previous);
  },
};
