import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { PermanentActionError, type ActionContext, type ActionHandler } from './contract';
import { checkHost, httpCall } from './http-call';
import { insideRoot } from './paths';
import { recordedUndo, recordOnce } from './undo-journal';

const paramsSchema = z.strictObject({
  file: z
    .string({ message: 'expected a .json, .yaml or .yml file relative to the workspace' })
    .regex(/\.(json|ya?ml)$/, { message: 'expected a .json, .yaml or .yml file relative to the workspace' }),
  set: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
        message: 'expected a dotted key such as limits.rps',
      }),
      z.unknown(),
    )
    .refine((r) => Object.keys(r).length > 0, { message: 'expected at least one key to set' }),
  reloadUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional(),
  healthUrl: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .optional()
    .meta({ description: "the service's health endpoint, watched after the change at rung 4" }),
});
export type ConfigSetParams = z.output<typeof paramsSchema>;
/** Previous value per key; `absent` keys are deleted again on undo. */
export interface ConfigSetUndo {
  file: string;
  previous: Record<string, { absent: true } | { absent: false; value: unknown }>;
}

const isJson = (file: string): boolean => file.endsWith('.json');

/** Reads the config as a YAML document (JSON is YAML), so YAML comments survive an edit. */
function readDoc(path: string, file: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PermanentActionError(
      `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new PermanentActionError(`config ${file} does not parse: ${doc.errors[0].message.split('\n')[0]}`);
  return { text, doc };
}

function serialize(doc: ReturnType<typeof parseDocument>, file: string): string {
  return isJson(file) ? `${JSON.stringify(doc.toJS(), null, 2)}\n` : doc.toString();
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.ladder-tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path); // readers (the demo service) never see a half-written file
}

async function reload(p: ConfigSetParams, ctx: ActionContext, suffix: string): Promise<void> {
  if (p.reloadUrl)
    await httpCall({ method: 'POST', url: p.reloadUrl }, ctx, `${ctx.idempotencyKey}#${suffix}`);
}

/** `config.set`: sets keys in a JSON or YAML config file, then asks the service to reload; undo restores the previous values. */
export const configSet: ActionHandler<ConfigSetParams, ConfigSetUndo> = {
  type: 'config.set',
  params: paramsSchema,
  blastRadius: () => 'medium',
  describe: (p) =>
    `set ${Object.entries(p.set)
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
      .join(', ')} in ${p.file}${p.reloadUrl ? `, then POST ${p.reloadUrl}` : ''}`,
  async draft(p, ctx) {
    const { text, doc } = readDoc(insideRoot(ctx.workspaceRoot, p.file), p.file);
    for (const [key, value] of Object.entries(p.set)) doc.setIn(key.split('.'), value);
    return {
      kind: 'diff',
      text: createTwoFilesPatch(`a/${p.file}`, `b/${p.file}`, text, serialize(doc, p.file)),
    };
  },
  async execute(p, ctx) {
    const path = insideRoot(ctx.workspaceRoot, p.file);
    const undo = recordOnce<ConfigSetUndo>(ctx.stateDir, ctx.idempotencyKey, () => {
      const { doc } = readDoc(path, p.file);
      const previous: ConfigSetUndo['previous'] = {};
      for (const key of Object.keys(p.set)) {
        const keyPath = key.split('.');
        previous[key] = doc.hasIn(keyPath)
          ? { absent: false, value: toPlain(doc.getIn(keyPath)) }
          : { absent: true };
      }
      return { file: p.file, previous };
    });
    const { doc } = readDoc(path, p.file);
    for (const [key, value] of Object.entries(p.set)) doc.setIn(key.split('.'), value);
    writeAtomically(path, serialize(doc, p.file));
    await reload(p, ctx, 'reload');
    return undo;
  },
  undoRecordFor: (_p, ctx) => recordedUndo<ConfigSetUndo>(ctx.stateDir, ctx.idempotencyKey),
  async compensate(p, undo, ctx) {
    const path = insideRoot(ctx.workspaceRoot, undo.file);
    const { doc } = readDoc(path, undo.file);
    for (const [key, prev] of Object.entries(undo.previous)) {
      if (prev.absent) doc.deleteIn(key.split('.'));
      else doc.setIn(key.split('.'), prev.value);
    }
    writeAtomically(path, serialize(doc, undo.file));
    await reload(p, ctx, 'undo-reload');
  },
  async verify(p, ctx) {
    if (!p.healthUrl) return { healthy: true, detail: 'no health URL declared' };
    try {
      const response = await fetch(checkHost(p.healthUrl, ctx), { signal: ctx.signal });
      const body = (await response.text()).slice(0, 300);
      return { healthy: response.ok, detail: `GET ${p.healthUrl} → ${response.status} ${body}` };
    } catch (err) {
      if (err instanceof PermanentActionError) throw err;
      return { healthy: false, detail: `GET ${p.healthUrl} failed: ${(err as Error).message}` };
    }
  },
};

function toPlain(value: unknown): unknown {
  return value !== null &&
    typeof value === 'object' &&
    'toJSON' in value &&
    typeof value.toJSON === 'function'
    ? (value.toJSON as () => unknown)()
    : value;
}
