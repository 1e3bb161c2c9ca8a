import { readFile as readFileFromDisk } from 'node:fs/promises';
import type { Credential } from '../../policy/credentials-schema';
import { PermanentActionError } from './contract';

// The worker, never the agent, holds the secrets of the systems actions reach (DESIGN.md §4, trust
// boundary). Values are read at execution, so a rotated secret is used by the next step without a
// restart, and they live only in memory for one request: nothing here returns, logs or throws them.

/** Reads the secret a credential names. */
export interface SecretResolver {
  /**
   * The secret's value, read now from the worker's environment or the named file.
   *
   * @throws {PermanentActionError} naming the credential id and its env var or file (never a value)
   *   when the secret is missing, empty or cannot be sent in a header: a retry cannot fix that.
   */
  resolve(credential: Credential): Promise<string>;
}

/**
 * A resolver over the given environment and file reader (the worker passes its own `process.env`;
 * tests pass a plain object).
 *
 * @param env - read at every `resolve`, so a changed value is picked up.
 * @param readFile - reads a secret file as UTF-8; a trailing newline (as editors and `echo` leave) is dropped.
 */
export function createSecretResolver(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => Promise<string> = (path) => readFileFromDisk(path, 'utf8'),
): SecretResolver {
  return {
    async resolve(credential) {
      const { env: name, file } = credential.secret;
      const where = name !== undefined ? `environment variable ${name}` : `file ${file}`;
      let value: string | undefined;
      if (name !== undefined) value = env[name];
      else if (file !== undefined) {
        try {
          value = await readFile(file);
        } catch (err) {
          // The code only: a reader's message could quote what it read.
          const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
          throw new PermanentActionError(
            `credential "${credential.id}": cannot read its secret from ${where} (${code})`,
          );
        }
      }
      value = value?.replace(/[\r\n]+$/, '');
      if (value === undefined || value === '') {
        throw new PermanentActionError(
          `credential "${credential.id}": its secret is missing: ${where} is ${value === undefined ? 'not set' : 'empty'} in the worker's environment`,
        );
      }
      // A header cannot carry control characters, and fetch's own error would quote the value.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
        throw new PermanentActionError(
          `credential "${credential.id}": the secret in ${where} holds control characters a header cannot carry`,
        );
      }
      return value;
    },
  };
}

/** One header a credential adds to a request; internal to the worker, never returned. */
export interface InjectedHeader {
  credentialId: string;
  header: string;
  /** The header's full value (`<scheme> <secret>` or the secret alone). */
  value: string;
  /** The secret alone, for redaction. */
  secret: string;
}

/** What an action gets to add credentials to its requests without ever seeing the policy's list. */
export interface CredentialInjector {
  /**
   * The headers the policy's credentials add to a request to `url`: those whose hosts list the
   * URL's host (with port, as `URL.host` spells it) and whose actions, if listed, include this one.
   *
   * @throws {PermanentActionError} when a matching credential's secret is missing.
   */
  headersFor(url: URL): Promise<InjectedHeader[]>;
}

/**
 * An injector for one action type over the policy's credentials. Secrets are read only when a
 * request matches, so steps that need none never touch them.
 */
export function createCredentialInjector(
  credentials: readonly Credential[] | undefined,
  action: string,
  resolver: SecretResolver,
): CredentialInjector {
  return {
    async headersFor(url) {
      const matching = (credentials ?? []).filter(
        (c) => c.hosts.includes(url.host) && (c.actions === undefined || c.actions.includes(action)),
      );
      // In clear text the secret would be read on the way, and a redirect refused after sending
      // comes too late; the loopback interface never leaves the machine.
      const clear = matching.find(() => url.protocol === 'http:' && !isLoopback(url.hostname));
      if (clear)
        throw new PermanentActionError(
          `credential "${clear.id}" is sent over https only, and ${url.protocol}//${url.host}${url.pathname} is plain http: use https://${url.host} (only the loopback interface is exempt)`,
        );
      return Promise.all(
        matching.map(async (c) => {
          const secret = await resolver.resolve(c);
          return {
            credentialId: c.id,
            header: c.header,
            value: c.scheme !== undefined ? `${c.scheme} ${secret}` : secret,
            secret,
          };
        }),
      );
    },
  };
}

/**
 * Replaces every occurrence of an injected secret in `text` with `[redacted:<credential id>]`: a
 * service that echoes its Authorization header must not put the secret into workflow history.
 * Also catches the secret as JSON and URL encoding spell it. Longest secrets first, so one secret
 * containing another is replaced whole.
 */
export function redactSecrets(text: string, injected: readonly InjectedHeader[]): string {
  const forms = injected
    .flatMap((h) =>
      [h.secret, JSON.stringify(h.secret).slice(1, -1), encodeURIComponent(h.secret)].map((form) => ({
        form,
        id: h.credentialId,
      })),
    )
    .filter((f) => f.form !== '')
    .sort((a, b) => b.form.length - a.form.length);
  let out = text;
  for (const { form, id } of forms) out = out.split(form).join(`[redacted:${id}]`);
  return out;
}

/** Whether `hostname` (as `URL.hostname` spells it) is this machine's loopback interface. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
