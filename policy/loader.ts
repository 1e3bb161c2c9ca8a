// Reads policy files: I/O and hashing live here, so workflows must not import this module
// (they receive a loaded policy or a decision instead).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import type { AnswerKey, AnswerTrust } from './answer-proof';
import { answerKeysFileSchema } from './answers-schema';
import { crossCheck, formatPath, type PolicyProblem } from './checks';
import { own } from './own';
import { policySchema, type PolicyDocument } from './schema';

/** A validated policy plus its identity and the lookups `decide` needs precomputed. */
export interface LoadedPolicy extends PolicyDocument {
  /** `<declared version>+<first 12 hex of the content's SHA-256>`: changes whenever the file's bytes do. */
  versionId: string;
  contentHash: string;
  /** Where it was loaded from (a path, or a label for text). */
  source: string;
  /** Approver user ids per task class, with groups expanded. */
  approversByClass: Record<string, string[]>;
  /** The keys answers are verified with: `answers.keys` plus the keys file's, minus nothing (revoked are listed). */
  answerTrust: AnswerTrust;
}

export type PolicyLoadResult =
  | { ok: true; policy: LoadedPolicy; warnings: PolicyProblem[] }
  | { ok: false; errors: PolicyProblem[]; warnings: PolicyProblem[] };

/** Raised by {@link loadPolicyFile}; `problems` lists every error with its path and line. */
export class PolicyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: PolicyProblem[],
  ) {
    super(
      `${source}: policy has ${problems.length} error${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'PolicyError';
  }
}

/** Limits that keep a hostile or runaway policy file from crashing or stalling the process. */
export interface PolicyParseLimits {
  /** Largest file accepted, in bytes (UTF-8); default 1 MB. */
  maxBytes?: number;
  /** What sets `maxBytes` (e.g. `LADDER_POLICY_MAX_BYTES`), named in the refusal so an operator knows what to change. */
  maxBytesSetting?: string;
  /** Most alias nodes (`*name`) in the file; default 100. */
  maxAliases?: number;
  /** Deepest nesting of mappings and lists; default 64. */
  maxDepth?: number;
  /** Most errors (and, separately, warnings) reported; the rest are counted in one "…and N more"; default 100. */
  maxProblems?: number;
}

export const POLICY_LIMIT_DEFAULTS: Required<Omit<PolicyParseLimits, 'maxBytesSetting'>> = {
  maxBytes: 1024 * 1024,
  maxAliases: 100,
  maxDepth: 64,
  maxProblems: 100,
};

/** One problem as a line: `line 12: taskClasses.deploy.cap: expected a rung …`. */
export function formatProblem(p: PolicyProblem): string {
  return `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.path}: ${p.message}`;
}

/**
 * Parses and validates policy YAML. Never throws for bad input: every YAML, schema and
 * cross-reference error is returned at once, each with its path and line.
 *
 * @param text - the file's content.
 * @param source - a path or label used in messages and recorded on the policy.
 * @param options.readKeysFile - false to skip `answers.keysFile` (to learn who needs a key before
 *   the local keys exist); such a policy verifies no answer signed by a key from that file.
 * @param options.maxBytes etc. - see {@link PolicyParseLimits}: a file over a limit is refused at once.
 */
export function parsePolicy(
  text: string,
  source = '<policy>',
  options: { readKeysFile?: boolean } & PolicyParseLimits = {},
): PolicyLoadResult {
  const limits = { ...POLICY_LIMIT_DEFAULTS, ...definedOnly(options) };
  try {
    const result = parseChecked(text, source, options, limits);
    return result.ok
      ? { ...result, warnings: capProblems(result.warnings, limits.maxProblems, 'warning') }
      : {
          ok: false,
          errors: capProblems(result.errors, limits.maxProblems, 'error'),
          warnings: capProblems(result.warnings, limits.maxProblems, 'warning'),
        };
  } catch (err) {
    // Nothing below should throw, but a policy file is input: a crash here would take the process down.
    return refused([{ path: '(policy)', message: `cannot be loaded: ${describeError(err)}` }]);
  }
}

function parseChecked(
  text: string,
  source: string,
  options: { readKeysFile?: boolean; maxBytesSetting?: string },
  limits: Required<Omit<PolicyParseLimits, 'maxBytesSetting'>>,
): PolicyLoadResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    return refused([
      {
        path: '(file)',
        message: `the policy file is ${bytes} bytes, more than the limit of ${limits.maxBytes}${options.maxBytesSetting ? ` (${options.maxBytesSetting})` : ''}`,
        line: 1,
      },
    ]);
  }
  const hidden = hiddenCharacter(text);
  if (hidden !== undefined) {
    return refused([{ path: '(yaml)', message: hidden.message, line: lineOfOffset(text, hidden.offset) }]);
  }
  const lineCounter = new LineCounter();
  const flowDepth = flowNestingTooDeep(text, limits.maxDepth);
  if (flowDepth !== undefined) {
    return refused([
      {
        path: '(yaml)',
        message: `nesting deeper than ${limits.maxDepth} levels`,
        line: lineOfOffset(text, flowDepth),
      },
    ]);
  }
  // merge: YAML 1.1 `<<` keys let one threshold block extend another (see examples/policy.yaml).
  // uniqueKeys is checked by `measure` instead: the library's check is quadratic in a mapping's size.
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  } catch (err) {
    return { ok: false, warnings: [], errors: [{ path: '(yaml)', message: describeError(err) }] };
  }
  if (doc.errors.length > 0) {
    return refused(
      doc.errors.map((e) => ({
        path: '(yaml)',
        message: e.message.split('\n')[0],
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    );
  }
  // A tag the library does not know (`!!js/function`) only warns, and the value is read as text.
  if (doc.warnings.length > 0) {
    return refused(
      doc.warnings.map((w) => ({
        path: '(yaml)',
        message: `${w.message.split('\n')[0]} (policy files are plain YAML)`,
        line: lineCounter.linePos(w.pos[0]).line,
      })),
    );
  }
  const lineAt = (node: YamlNode | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  const shape = measure(doc.contents);
  if (shape.duplicates.length > 0) {
    return refused(
      shape.duplicates.map((key) => ({
        path: '(yaml)',
        message: `Map keys must be unique: ${JSON.stringify(key.value)} appears more than once`,
        line: lineAt(key.node),
      })),
    );
  }
  if (shape.prototypeKeys.length > 0) {
    // Parsed, such a key would be dropped without a word (a class or agent that silently is not there).
    return refused(
      shape.prototypeKeys.map((key) => ({
        path: '(yaml)',
        message:
          'a key named "__proto__" is refused: it would be dropped without a word; choose another name',
        line: lineAt(key),
      })),
    );
  }
  if (shape.depth > limits.maxDepth) {
    return refused([
      {
        path: '(yaml)',
        message: `nesting deeper than ${limits.maxDepth} levels`,
        line: lineAt(shape.deepest),
      },
    ]);
  }
  if (shape.aliases.length > limits.maxAliases) {
    return refused([
      {
        path: '(yaml)',
        message: `more than ${limits.maxAliases} aliases (*name): refused as a possible alias bomb`,
        line: lineAt(shape.aliases[limits.maxAliases]),
      },
    ]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch (err) {
    // The yaml library refuses exponential alias expansion ("billion laughs") with a ReferenceError,
    // and a merge (`<<`) of something that is not a mapping with an Error.
    const why = describeError(err);
    const merge = /merge/i.test(why);
    return refused([
      {
        path: '(yaml)',
        message: `cannot expand the document: ${why}${/alias count/i.test(why) ? ' (too many nested aliases?)' : ''}`,
        line: lineAt(merge ? shape.merges[0] : shape.aliases[0]),
      },
    ]);
  }
  if (raw === null || raw === undefined) {
    return { ok: false, warnings: [], errors: [{ path: '(root)', message: 'the policy file is empty' }] };
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    // Walk down as far as the document goes, so a missing key reports its parent's line.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as YamlNode | undefined;
      const range = node && (isMap(node) || isSeq(node) || 'range' in node) ? node.range : undefined;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    return undefined;
  };

  const parsed = policySchema.safeParse(raw, { reportInput: true });
  const schemaErrors = parsed.success ? [] : parsed.error.issues.flatMap((issue) => describeIssue(issue));
  const checked = crossCheck(raw);
  const locate = (p: { path: (string | number)[]; message: string }): PolicyProblem => ({
    path: formatPath(p.path),
    message: p.message,
    line: lineOf(p.path),
  });
  // Finding a line walks the document, so only the problems that will be reported are located:
  // a file with 50,000 mistakes reports the first ones at once rather than stalling the process.
  const locateFirst = (problems: { path: (string | number)[]; message: string }[]): PolicyProblem[] => {
    const unique = dedupeRaw(problems);
    return [
      ...unique.slice(0, limits.maxProblems).map(locate),
      ...unique.slice(limits.maxProblems).map((p) => ({ path: formatPath(p.path), message: p.message })),
    ];
  };
  const fileKeys =
    parsed.success && options.readKeysFile !== false
      ? readAnswerKeys(parsed.data.answers.keysFile, source)
      : { keys: [] };
  const keyErrors = 'error' in fileKeys ? [{ path: ['answers', 'keysFile'], message: fileKeys.error }] : [];
  const escalationErrors = parsed.success ? unknownEscalationGroups(parsed.data) : [];
  const errors = locateFirst([...schemaErrors, ...checked.errors, ...keyErrors, ...escalationErrors]);
  const warnings = locateFirst(checked.warnings);
  if (parsed.success && parsed.data.answers.allowClaimedIdentities) {
    warnings.push(
      locate({
        path: ['answers', 'allowClaimedIdentities'],
        message:
          'INSECURE: answers without proof are accepted with a claimed identity; anyone with Temporal access can approve as anyone',
      }),
    );
  }
  if (!parsed.success || errors.length > 0 || 'error' in fileKeys) return { ok: false, errors, warnings };

  const contentHash = createHash('sha256').update(text).digest('hex');
  const policy: LoadedPolicy = {
    ...parsed.data,
    versionId: `${parsed.data.version}+${contentHash.slice(0, 12)}`,
    contentHash,
    source,
    answerTrust: {
      keys: [...parsed.data.answers.keys, ...fileKeys.keys],
      revoked: [...parsed.data.answers.revoked],
      ttlMs: parsed.data.answers.ttl,
      allowClaimedIdentities: parsed.data.answers.allowClaimedIdentities,
    },
    approversByClass: Object.fromEntries(
      Object.entries(parsed.data.taskClasses).map(([name, tc]) => [
        name,
        [
          ...new Set([
            ...tc.approvers.users,
            ...tc.approvers.groups.flatMap((g) => own(parsed.data.groups, g) ?? []),
          ]),
        ],
      ]),
    ),
  };
  return { ok: true, policy, warnings };
}

/** A load that failed with `errors` (and no warnings worth reading past them). */
function refused(errors: PolicyProblem[]): PolicyLoadResult {
  return { ok: false, warnings: [], errors };
}

/**
 * Reads the public keys file a policy names, relative to the policy file's folder (or the working
 * folder for a policy given as text). Never throws: a problem comes back as `error`.
 */
function readAnswerKeys(
  keysFile: string | undefined,
  source: string,
): { keys: AnswerKey[] } | { error: string } {
  if (keysFile === undefined) return { keys: [] };
  const base = source.startsWith('<') ? process.cwd() : dirname(resolve(source));
  const path = resolve(base, keysFile);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      error: code
        ? `cannot read keys file ${path} (${code}); scripts/start.sh and scripts/test.sh make the local one`
        : `keys file ${path} is not valid JSON`,
    };
  }
  const parsed = answerKeysFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `keys file ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { keys: parsed.data.keys as AnswerKey[] };
}

/**
 * Reads and validates a policy file.
 *
 * @throws {PolicyError} with every problem when the file is invalid, or naming the path when it cannot be read.
 */
export function loadPolicyFile(
  path: string,
  options: PolicyParseLimits = {},
): { policy: LoadedPolicy; warnings: PolicyProblem[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(path, [
      { path: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` },
    ]);
  }
  const result = parsePolicy(text, path, options);
  if (!result.ok) throw new PolicyError(path, result.errors);
  return { policy: result.policy, warnings: result.warnings };
}

function describeIssue(issue: z.core.$ZodIssue): { path: (string | number)[]; message: string }[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key],
      message: 'unknown key (a typo here would silently disable a setting)',
    }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path, message: `required: ${expectation(issue)}` }];
  }
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    return [{ path, message: `unexpected value, got ${show(issue.input)}` }];
  }
  const got = 'input' in issue && issue.input !== undefined ? `, got ${show(issue.input)}` : '';
  return [{ path, message: `${expectation(issue)}${got}` }];
}

function expectation(issue: z.core.$ZodIssue): string {
  // zod's own wording ("Invalid input: expected number, received string") repeats what we print; keep the expectation.
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    return `expected ${issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  }
  return issue.message;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}

function dedupeRaw<T extends { path: (string | number)[]; message: string }>(problems: T[]): T[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${formatPath(p.path)}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The first `max` problems, plus one that counts the rest. */
function capProblems(problems: PolicyProblem[], max: number, kind: 'error' | 'warning'): PolicyProblem[] {
  if (problems.length <= max) return problems;
  const more = problems.length - max;
  return [
    ...problems.slice(0, max),
    { path: '(policy)', message: `…and ${more} more ${kind}${more === 1 ? '' : 's'}` },
  ];
}

function definedOnly(limits: PolicyParseLimits): PolicyParseLimits {
  const out: PolicyParseLimits = {};
  for (const key of ['maxBytes', 'maxAliases', 'maxDepth', 'maxProblems'] as const) {
    const value = limits[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return out;
}

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].slice(0, 300);
}

/**
 * C0 control characters but tab, line feed and carriage return; DEL; C1 controls; and the
 * bidirectional embedding, override and isolate controls.
 */
// eslint-disable-next-line no-control-regex
const HIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * The first character a policy file must not contain, with its offset: YAML allows printable
 * characters only, and a bidirectional control makes the file read, to the admins who review it,
 * differently from what it says ("Trojan Source"). Linear in the text's length.
 */
function hiddenCharacter(text: string): { offset: number; message: string } | undefined {
  const match = HIDDEN_CHARACTER.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const column = match.index - text.lastIndexOf('\n', match.index - 1);
  return {
    offset: match.index,
    message:
      code >= 0x2000
        ? `contains ${hex} (a bidirectional control) at column ${column}: it makes the text read differently from what it says`
        : `contains ${hex} (a control character) at column ${column}: a policy file is plain text`,
  };
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The offset of the first flow bracket (`[` or `{`) nested deeper than `max`, found by a cheap scan
 * before parsing (the parser recurses per level). Skips quoted strings and comments; block nesting
 * is measured after parsing, by {@link measure}.
 */
function flowNestingTooDeep(text: string, max: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n' && depth === 0) quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]))) {
      quote = c;
    } else if (c === '[' || c === '{') {
      if (++depth > max) return i;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/**
 * The document's nesting depth (deepest node), its alias nodes, its duplicate mapping keys, its
 * keys named `__proto__` and its merge (`<<`) keys, walked without recursion.
 */
function measure(root: unknown): {
  depth: number;
  deepest: YamlNode | undefined;
  aliases: YamlNode[];
  duplicates: { value: unknown; node: YamlNode }[];
  prototypeKeys: YamlNode[];
  merges: YamlNode[];
} {
  const aliases: YamlNode[] = [];
  const duplicates: { value: unknown; node: YamlNode }[] = [];
  const prototypeKeys: YamlNode[] = [];
  const merges: YamlNode[] = [];
  let depth = 0;
  let deepest: YamlNode | undefined;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (isAlias(node)) {
      aliases.push(node);
    } else if (isPair(node)) {
      stack.push([node.value, level], [node.key, level]);
    } else if (isMap(node) || isSeq(node)) {
      if (level > depth) {
        depth = level;
        deepest = node;
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push([node.items[i], level + 1]);
      if (isMap(node)) {
        const seen = new Set<unknown>();
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          // With `merge: true` the library gives a `<<` key the value Symbol(<<).
          if (pair.key.value === '<<' || typeof pair.key.value === 'symbol') {
            merges.push(pair.key);
            continue;
          }
          if (pair.key.value === '__proto__') prototypeKeys.push(pair.key);
          if (seen.has(pair.key.value)) duplicates.push({ value: pair.key.value, node: pair.key });
          seen.add(pair.key.value);
        }
      }
    }
  }
  aliases.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  return { depth, deepest, aliases, duplicates, prototypeKeys, merges };
}

/**
 * Every `approval.escalateTo` group that `groups` does not declare: the request could never reach
 * anyone there. Each problem names the class and the position in the chain.
 */
function unknownEscalationGroups(doc: PolicyDocument): { path: (string | number)[]; message: string }[] {
  return Object.entries(doc.taskClasses).flatMap(([className, tc]) =>
    (tc.approval.escalateTo ?? []).flatMap((group, i) =>
      own(doc.groups, group)
        ? []
        : [
            {
              path: ['taskClasses', className, 'approval', 'escalateTo', i],
              message: `unknown group "${group}" (declare it under groups)`,
            },
          ],
    ),
  );
}
