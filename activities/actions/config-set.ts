import { createTwoFilesPatch } from 'diff';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { PermanentActionError, type ActionContext, type ActionHandler } from './contract';
import { checkDraftUrl, checkHost, healthCheck, httpCall, targetUrl, urlObjections } from './http-call';
import { checkOwnerAfterLinks, readInside, staysInside, targetPath, writeInside } from './paths';
import { recordedUndo, recordOnce } from './undo-journal';

const paramsSchema = z.strictObject({
  file: z
    .string({ message: 'expected a .json, .yaml or .yml file relative to the workspace' })
    .regex(/\.(json|ya?ml)$/, { message: 'expected a .json, .yaml or .yml file relative to the workspace' })
    .superRefine(staysInside('workspace')),
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

/**
 * Reads the config as a YAML document (JSON is YAML), so YAML comments survive an edit. The file is
 * resolved inside the workspace after every symlink and never read through one (see {@link readInside}).
 */
function readDoc(root: string, file: string) {
  let text: string | null;
  try {
    text = readInside(root, file, 'config');
  } catch (err) {
    if (err instanceof PermanentActionError) throw err;
    throw new PermanentActionError(
      `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (text === null) throw new PermanentActionError(`cannot read config ${file}: ENOENT`);
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new PermanentActionError(`config ${file} does not parse: ${doc.errors[0].message.split('\n')[0]}`);
  return { text, doc };
}

function serialize(doc: ReturnType<typeof parseDocument>, file: string): string {
  return isJson(file) ? `${JSON.stringify(doc.toJS(), null, 2)}\n` : doc.toString();
}

/** Temp file and rename (see {@link writeInside}): readers (the demo service) never see a half-written file. */
function writeAtomically(root: string, file: string, text: string): void {
  writeInside(root, file, text, 'config');
}

/** Every URL the step will touch (reload, health), checked against the host bound before any effect. */
function checkUrls(
  p: ConfigSetParams,
  ctx: ActionContext,
  check: (url: string, c: ActionContext) => URL = checkHost,
): void {
  for (const url of [p.reloadUrl, p.healthUrl]) if (url !== undefined) check(url, ctx);
}

async function reload(p: ConfigSetParams, ctx: ActionContext, suffix: string): Promise<void> {
  if (p.reloadUrl)
    await httpCall({ method: 'POST', url: p.reloadUrl }, ctx, `${ctx.idempotencyKey}#${suffix}`);
}

/**
 * How many characters of each value, and of the whole description, an approver is shown: a step's
 * description stays well inside Slack's 3,000 characters a section.
 */
const VALUE_SHOWN = 200;
const MAX_DESCRIPTION = 1500;

/** `text` up to `max` characters (code points), then how many more there are and where to read them all. */
function shownUpTo(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max
    ? text
    : `${chars.slice(0, max).join('')}… (+${chars.length - max} more characters; the full change is in the task's steps in the Temporal UI)`;
}

/**
 * `config.set`: sets keys in a JSON or YAML config file, then asks the service to reload; undo restores
 * the previous values. The reload and health URLs must be inside the class's host bound (a class with
 * no host bound allows no call): checked before the file is touched.
 */
export const configSet: ActionHandler<ConfigSetParams, ConfigSetUndo> = {
  type: 'config.set',
  hostBound: true,
  params: paramsSchema,
  blastRadius: () => 'medium',
  describe: (p) =>
    shownUpTo(
      `set ${Object.entries(p.set)
        .map(([k, v]) => `${k} = ${shownUpTo(JSON.stringify(v) ?? String(v), VALUE_SHOWN)}`)
        .join(', ')} in ${p.file}${p.reloadUrl ? `, then POST ${targetUrl(p.reloadUrl)}` : ''}`,
      MAX_DESCRIPTION,
    ),
  targets: (p) => [
    ...Object.keys(p.set).map((key) => `set ${key} in ${targetPath(p.file)}`),
    ...(p.reloadUrl ? [`reload: POST ${targetUrl(p.reloadUrl)}`] : []),
    ...(p.healthUrl ? [`health: GET ${targetUrl(p.healthUrl)}`] : []),
  ],
  reaches: (p) => [{ field: 'params.file', path: p.file }, ...requestsOf(p)],
  async draft(p, ctx) {
    checkUrls(p, ctx, checkDraftUrl);
    const { text, doc } = readDoc(ctx.workspaceRoot, p.file);
    for (const [key, value] of Object.entries(p.set)) doc.setIn(key.split('.'), value);
    return {
      kind: 'diff',
      text: createTwoFilesPatch(`a/${p.file}`, `b/${p.file}`, text, serialize(doc, p.file)),
    };
  },
  async execute(p, ctx) {
    checkUrls(p, ctx);
    checkOwnerAfterLinks(ctx.workspaceRoot, p.file, ctx.environmentTargets, 'file');
    const undo = recordOnce<ConfigSetUndo>(ctx.stateDir, ctx.idempotencyKey, () => {
      const { doc } = readDoc(ctx.workspaceRoot, p.file);
      const previous: ConfigSetUndo['previous'] = {};
      for (const key of Object.keys(p.set)) {
        const keyPath = key.split('.');
        previous[key] = doc.hasIn(keyPath)
          ? { absent: false, value: toPlain(doc.getIn(keyPath)) }
          : { absent: true };
      }
      return { file: p.file, previous };
    });
    const { doc } = readDoc(ctx.workspaceRoot, p.file);
    for (const [key, value] of Object.entries(p.set)) doc.setIn(key.split('.'), value);
    writeAtomically(ctx.workspaceRoot, p.file, serialize(doc, p.file));
    await reload(p, ctx, 'reload');
    return undo;
  },
  boundsObjections: (p, bounds) => urlObjections(requestsOf(p), bounds.hosts),
  retrySafety: () => ({
    kind: 'repeatable',
    why: 'setting the same values and asking for a reload again leaves the same state',
  }),
  undoRecordFor: (_p, ctx) => recordedUndo<ConfigSetUndo>(ctx.stateDir, ctx.idempotencyKey),
  async compensate(p, undo, ctx) {
    checkOwnerAfterLinks(ctx.workspaceRoot, undo.file, ctx.environmentTargets, 'file');
    const { doc } = readDoc(ctx.workspaceRoot, undo.file);
    for (const [key, prev] of Object.entries(undo.previous)) {
      if (prev.absent) doc.deleteIn(key.split('.'));
      else doc.setIn(key.split('.'), prev.value);
    }
    writeAtomically(ctx.workspaceRoot, undo.file, serialize(doc, undo.file));
    await reload(p, ctx, 'undo-reload');
  },
  async verify(p, ctx) {
    if (!p.healthUrl) return { healthy: true, detail: 'no health URL declared' };
    return healthCheck(p.healthUrl, ctx, 300);
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

/** The requests a step sends after writing: the reload, then the health checks. */
function requestsOf(p: ConfigSetParams): { field: string; url: string; method: string }[] {
  return [
    ...(p.reloadUrl ? [{ field: 'params.reloadUrl', url: p.reloadUrl, method: 'POST' }] : []),
    ...(p.healthUrl ? [{ field: 'params.healthUrl', url: p.healthUrl, method: 'GET' }] : []),
  ];
}
