import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { answerMessage, type AnswerKey, type AnswerProof, type Proven } from '../policy/answer-proof';

// The frontends' side of answer proofs: a process that verified a person (the Slack app after
// Slack's signature, the CLI holding an operator's own key) signs each answer with its private
// key. Private keys live in files readable by their owner only and never leave this module.

/** Signs answers with one private key. */
export interface AnswerSigner {
  readonly keyId: string;
  readonly kind: AnswerKey['kind'];
  /** For operator keys: the person the key belongs to. */
  readonly person?: string;
  /**
   * Returns `args` with a `proof` for `answer` on `workflowId`, signed now (or at `at`).
   * The proof binds every field of `args`: change one and it no longer verifies.
   */
  sign<T extends object>(
    workflowId: string,
    answer: string,
    args: T,
    at?: Date,
  ): T & Required<Pick<Proven, 'proof'>>;
}

const keyFileSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { message: 'expected a key id (letters, digits, ".", "_", "-")' }),
  kind: z.enum(['frontend', 'operator']),
  person: z.string().optional(),
  privateKeyPem: z.string().startsWith('-----BEGIN PRIVATE KEY-----', { message: 'expected a PKCS#8 PEM' }),
});
export type AnswerKeyFile = z.infer<typeof keyFileSchema>;

/** Raised when a key file is missing or malformed; the message names the file and the field. */
export class AnswerKeyError extends Error {}

/** Builds a signer from a private key object. */
export function createAnswerSigner(file: AnswerKeyFile): AnswerSigner {
  const privateKey: KeyObject = createPrivateKey(file.privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AnswerKeyError(`key ${file.id} is ${privateKey.asymmetricKeyType}, expected ed25519`);
  }
  return {
    keyId: file.id,
    kind: file.kind,
    person: file.person,
    sign<T extends object>(workflowId: string, answer: string, args: T, at = new Date()) {
      const signedAt = at.toISOString();
      const message = answerMessage(workflowId, answer, args, file.id, signedAt);
      const signature = sign(null, message, privateKey).toString('base64url');
      const proof: AnswerProof = { keyId: file.id, signedAt, signature };
      return { ...args, proof };
    },
  };
}

/**
 * Reads a private key file written by {@link generateAnswerKey} (or `ladder keys create`).
 *
 * @throws {AnswerKeyError} naming the file and what is wrong with it.
 */
export function loadAnswerSigner(path: string): AnswerSigner {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AnswerKeyError(`answer key ${path}: ${code ? `cannot read (${code})` : 'not valid JSON'}`);
  }
  const parsed = keyFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AnswerKeyError(`answer key ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return createAnswerSigner(parsed.data);
}

/** The public half of a private key, in the form the policy's keys file lists. */
export function publicAnswerKey(file: AnswerKeyFile): AnswerKey {
  const jwk = createPublicKey(createPrivateKey(file.privateKeyPem)).export({ format: 'jwk' });
  return {
    id: file.id,
    publicKey: String(jwk.x),
    kind: file.kind,
    ...(file.person ? { person: file.person } : {}),
  };
}

/** Makes a new Ed25519 key pair for a frontend (signs for anyone it verified) or one operator. */
export function generateAnswerKey(id: string, kind: AnswerKey['kind'], person?: string): AnswerKeyFile {
  if (kind === 'operator' && !person)
    throw new AnswerKeyError('an operator key needs the person it belongs to');
  const { privateKey } = generateKeyPairSync('ed25519');
  const file: AnswerKeyFile = {
    id,
    kind,
    ...(person ? { person } : {}),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
  keyFileSchema.parse(file);
  return file;
}

/** Writes a private key file readable by its owner only (mode 0600). */
export function writeAnswerKeyFile(path: string, file: AnswerKeyFile): void {
  // Only the keys' own folder is private: a recursive mkdir gives its mode to every parent it
  // creates too, and a private `.temporal` shuts the local cluster's postgres user out of its data.
  mkdirSync(dirname(dirname(path)), { recursive: true });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Where the local stack keeps its keys: the frontend key, one key per person, and the public list. */
export interface LocalKeyLayout {
  dir: string;
  /** The Slack/API frontend's private key. */
  frontendKey: string;
  /** Public keys of every local key, the file the policy's `answers.keysFile` names. */
  publicKeysFile: string;
  /** Private key file of one person (an operator using the CLI). */
  operatorKey(person: string): string;
}

/** The layout under a keys folder (the local stack uses `.temporal/keys`). */
export function localKeyLayout(dir: string): LocalKeyLayout {
  return {
    dir,
    frontendKey: join(dir, 'frontend.key.json'),
    publicKeysFile: join(dir, 'answer-keys.json'),
    operatorKey: (person) => join(dir, 'operators', `${person}.key.json`),
  };
}

/**
 * Makes sure the local stack has a frontend key and one operator key per person named, and that
 * the public keys file lists the public half of every key in the folder. Existing keys are kept, so restarts do
 * not invalidate answers in flight. For the local demo only: in production each operator makes
 * their own key and an admin adds its public half to the policy.
 *
 * @returns the public keys written.
 */
export function ensureLocalKeys(layout: LocalKeyLayout, people: readonly string[]): AnswerKey[] {
  const ensure = (path: string, make: () => AnswerKeyFile): void => {
    if (existsSync(path)) return;
    // Two processes may make the same key at once: write aside, then link into place, which fails
    // for the second; both then read the one that won.
    const tmp = `${path}.${process.pid}.tmp`;
    writeAnswerKeyFile(tmp, make());
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  };
  ensure(layout.frontendKey, () => generateAnswerKey('frontend', 'frontend'));
  for (const person of [...new Set(people)].sort()) {
    ensure(layout.operatorKey(person), () => generateAnswerKey(`operator-${person}`, 'operator', person));
  }
  // Every key in the folder is listed, not only this call's people: two policies (or a test run
  // beside a running stack) sharing the folder must not drop each other's keys.
  const operatorsDir = dirname(layout.operatorKey('x'));
  const paths = [
    layout.frontendKey,
    ...readdirSync(operatorsDir)
      .filter((f) => f.endsWith('.key.json'))
      .sort()
      .map((f) => join(operatorsDir, f)),
  ];
  const keys = paths.map((path) =>
    publicAnswerKey(keyFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')))),
  );
  const text = `${JSON.stringify({ keys }, null, 2)}\n`;
  if (!existsSync(layout.publicKeysFile) || readFileSync(layout.publicKeysFile, 'utf8') !== text) {
    // Written whole and renamed, so a process reading it never sees half a file.
    const tmp = `${layout.publicKeysFile}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, layout.publicKeysFile);
  }
  return keys;
}
