import { PermanentActionError } from '../../../activities/actions/contract';
import {
  createCredentialInjector,
  createSecretResolver,
  redactSecrets,
} from '../../../activities/actions/secrets';
import type { Credential } from '../../../policy/credentials-schema';

const SECRET = 's3cr3t-value-for-tests';
const fromEnv: Credential = {
  id: 'deploy-token',
  hosts: ['127.0.0.1:4100'],
  header: 'Authorization',
  scheme: 'Bearer',
  secret: { env: 'LADDER_SECRET_DEPLOY' },
};
const fromFile: Credential = {
  id: 'file-token',
  hosts: ['files.internal'],
  header: 'X-Api-Key',
  secret: { file: '/run/secrets/file-token' },
};

describe('secret resolver', () => {
  it('reads the environment it was given, at each resolve', async () => {
    const env: Record<string, string | undefined> = { LADDER_SECRET_DEPLOY: 'one' };
    const resolver = createSecretResolver(env);
    expect(await resolver.resolve(fromEnv)).toBe('one');
    env.LADDER_SECRET_DEPLOY = 'rotated';
    expect(await resolver.resolve(fromEnv)).toBe('rotated');
  });

  it('reads a file, dropping the trailing newline', async () => {
    const reads: string[] = [];
    const resolver = createSecretResolver({}, async (path) => {
      reads.push(path);
      return `${SECRET}\n`;
    });
    expect(await resolver.resolve(fromFile)).toBe(SECRET);
    expect(reads).toEqual(['/run/secrets/file-token']);
  });

  it('fails permanently naming the credential and the variable when it is unset or empty', async () => {
    const resolver = createSecretResolver({ LADDER_SECRET_DEPLOY: '' });
    await expect(resolver.resolve(fromEnv)).rejects.toThrow(
      new PermanentActionError(
        `credential "deploy-token": its secret is missing: environment variable LADDER_SECRET_DEPLOY is empty in the worker's environment`,
      ),
    );
    await expect(createSecretResolver({}).resolve(fromEnv)).rejects.toThrow(
      /credential "deploy-token": .*LADDER_SECRET_DEPLOY is not set/,
    );
  });

  it('names an unreadable file by path and error code, never quoting what the reader said', async () => {
    const resolver = createSecretResolver({}, () =>
      Promise.reject(Object.assign(new Error(`leaky message ${SECRET}`), { code: 'EACCES' })),
    );
    const err = (await resolver.resolve(fromFile).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toBe(
      'credential "file-token": cannot read its secret from file /run/secrets/file-token (EACCES)',
    );
  });

  it('refuses a secret a header cannot carry, without quoting it', async () => {
    const resolver = createSecretResolver({ LADDER_SECRET_DEPLOY: `${SECRET}\nX-Injected: 1` });
    const err = (await resolver.resolve(fromEnv).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toMatch(/control characters/);
    expect(err.message).not.toContain(SECRET);
  });
});

describe('credential injector', () => {
  const resolver = createSecretResolver({ LADDER_SECRET_DEPLOY: SECRET });

  it('adds a header only for a listed host (with port) and an allowed action', async () => {
    const limited = { ...fromEnv, actions: ['http.request'] };
    const injector = createCredentialInjector([limited], 'http.request', resolver);
    expect(await injector.headersFor(new URL('http://127.0.0.1:4100/deploys'))).toEqual([
      { credentialId: 'deploy-token', header: 'Authorization', value: `Bearer ${SECRET}`, secret: SECRET },
    ]);
    expect(await injector.headersFor(new URL('http://127.0.0.1:4101/deploys'))).toEqual([]);
    expect(await injector.headersFor(new URL('http://127.0.0.1/deploys'))).toEqual([]);
    const other = createCredentialInjector([limited], 'webhook.post', resolver);
    expect(await other.headersFor(new URL('http://127.0.0.1:4100/deploys'))).toEqual([]);
  });

  it('sends a credential over https only, except on the loopback interface', async () => {
    const remote: Credential = {
      ...fromEnv,
      hosts: ['deploy.example.com', '127.0.0.1:4100', 'localhost:4100'],
    };
    const resolver = createSecretResolver({ LADDER_SECRET_DEPLOY: SECRET });
    const injector = createCredentialInjector([remote], 'http.request', resolver);
    const err = (await injector
      .headersFor(new URL('http://deploy.example.com/deploys'))
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toBe(
      'credential "deploy-token" is sent over https only, and http://deploy.example.com/deploys is plain http: use https://deploy.example.com (only the loopback interface is exempt)',
    );
    expect(err.message).not.toContain(SECRET);
    await expect(injector.headersFor(new URL('https://deploy.example.com/deploys'))).resolves.toHaveLength(1);
    await expect(injector.headersFor(new URL('http://127.0.0.1:4100/deploys'))).resolves.toHaveLength(1);
    await expect(injector.headersFor(new URL('http://localhost:4100/deploys'))).resolves.toHaveLength(1);
  });

  it('reads no secret for a request no credential matches', async () => {
    const injector = createCredentialInjector([fromEnv], 'http.request', createSecretResolver({}));
    await expect(injector.headersFor(new URL('https://example.com/'))).resolves.toEqual([]);
    await expect(injector.headersFor(new URL('http://127.0.0.1:4100/'))).rejects.toThrow(
      PermanentActionError,
    );
  });
});

describe('redactSecrets', () => {
  const injected = [{ credentialId: 'deploy-token', header: 'Authorization', value: '', secret: 'a/b "c"' }];

  it('replaces the secret as written, JSON-escaped and URL-encoded', () => {
    const text = `raw a/b "c"; json ${JSON.stringify('a/b "c"')}; url ${encodeURIComponent('a/b "c"')}`;
    expect(redactSecrets(text, injected)).toBe(
      'raw [redacted:deploy-token]; json "[redacted:deploy-token]"; url [redacted:deploy-token]',
    );
  });

  it('leaves text without secrets untouched', () => {
    expect(redactSecrets('nothing here', injected)).toBe('nothing here');
    expect(redactSecrets('anything', [])).toBe('anything');
  });
});
