// Reads policy files: I/O and hashing live here, so workflows must not import this module
// (they receive a loaded policy or a decision instead).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import type { AnswerKey, AnswerTrust } from './answer-proof';
import { answerKeysFileSchema } from './answers-schema';
import { crossCheck, formatPath, type PolicyProblem } from './checks';
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
 */
export function parsePolicy(
  text: string,
  source = '<policy>',
  options: { readKeysFile?: boolean } = {},
): PolicyLoadResult {
  const lineCounter = new LineCounter();
  // merge: YAML 1.1 `<<` keys let one threshold block extend another (see examples/policy.yaml).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      warnings: [],
      errors: doc.errors.map((e) => ({
        path: '(yaml)',
        message: e.message.split('\n')[0],
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
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
  const fileKeys =
    parsed.success && options.readKeysFile !== false
      ? readAnswerKeys(parsed.data.answers.keysFile, source)
      : { keys: [] };
  const keyErrors = 'error' in fileKeys ? [{ path: ['answers', 'keysFile'], message: fileKeys.error }] : [];
  const errors = dedupe([...schemaErrors, ...checked.errors, ...keyErrors].map(locate));
  const warnings = checked.warnings.map(locate);
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
            ...tc.approvers.groups.flatMap((g) => parsed.data.groups[g] ?? []),
          ]),
        ],
      ]),
    ),
  };
  return { ok: true, policy, warnings };
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
export function loadPolicyFile(path: string): { policy: LoadedPolicy; warnings: PolicyProblem[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(path, [
      { path: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` },
    ]);
  }
  const result = parsePolicy(text, path);
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
    return `expected ${issue.expected === 'record' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  }
  return issue.message;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
