import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parsePolicy } from '../../policy/loader';

const exampleText = readFileSync(join(__dirname, '..', '..', 'examples', 'policy.yaml'), 'utf8');

/** The example policy with its credentials section replaced (JSON is YAML). */
function withCredentials(credentials: unknown): string {
  const doc = parseYaml(exampleText, { merge: true }) as Record<string, any>;
  doc.credentials = credentials;
  return JSON.stringify(doc);
}

function problemsOf(text: string): { path: string; message: string }[] {
  const result = parsePolicy(text, 'test.yaml', { readKeysFile: false });
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.errors.map(({ path, message }) => ({ path, message }));
}

const token = {
  id: 'deploy-token',
  hosts: ['127.0.0.1:4100'],
  scheme: 'Bearer',
  secret: { env: 'LADDER_SECRET_DEPLOY' },
};

describe('policy credentials', () => {
  it('loads the example entry, the header defaulting to Authorization', () => {
    const result = parsePolicy(withCredentials([{ ...token, header: undefined }]), 't', {
      readKeysFile: false,
    });
    expect(result.ok && result.policy.credentials).toEqual([
      { ...token, header: 'Authorization', secret: { env: 'LADDER_SECRET_DEPLOY' } },
    ]);
  });

  it('defaults to no credentials when the section is absent', () => {
    const doc = parseYaml(exampleText, { merge: true }) as Record<string, any>;
    delete doc.credentials;
    const result = parsePolicy(JSON.stringify(doc), 't', { readKeysFile: false });
    expect(result.ok && result.policy.credentials).toEqual([]);
  });

  it('refuses a secret with neither env nor file, or both, naming the path', () => {
    expect(
      problemsOf(
        withCredentials([
          { ...token, secret: {} },
          { ...token, id: 'b', hosts: ['b.internal'], secret: { env: 'LADDER_SECRET_B', file: '/run/b' } },
        ]),
      ),
    ).toEqual([
      { path: 'credentials[0].secret', message: 'expected exactly one of env or file, got a mapping' },
      { path: 'credentials[1].secret', message: 'expected exactly one of env or file, got a mapping' },
    ]);
  });

  it('refuses duplicate ids and two credentials setting one header for one host', () => {
    expect(
      problemsOf(
        withCredentials([
          token,
          { ...token, hosts: ['other.internal'] },
          { ...token, id: 'again', header: 'authorization', actions: ['http.request'] },
        ]),
      ),
    ).toEqual([
      {
        path: 'credentials[1].id',
        message: 'expected a unique credential id (credentials[0] has it too), got "deploy-token"',
      },
      {
        path: 'credentials[2].hosts',
        message:
          'expected one credential per header and host (credentials[0] already sets Authorization for it), got "127.0.0.1:4100"',
      },
    ]);
  });

  it('lets two credentials share a host when they set different headers', () => {
    const result = parsePolicy(
      withCredentials([token, { ...token, id: 'api-key', header: 'X-Api-Key', scheme: undefined }]),
      't',
      { readKeysFile: false },
    );
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('names what is wrong with each field: unknown key, env outside LADDER_SECRET_, relative file, bad host', () => {
    const problems = problemsOf(
      withCredentials([
        { ...token, value: 'hunter2' },
        { ...token, id: 'b', hosts: ['b.internal'], secret: { env: 'SLACK_BOT_TOKEN' } },
        { ...token, id: 'c', hosts: ['c.internal'], secret: { file: 'secrets/c' } },
        { ...token, id: 'd', hosts: ['https://d.internal/'] },
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'credentials[0].value',
      'credentials[1].secret.env',
      'credentials[2].secret.file',
      'credentials[3].hosts[0]',
    ]);
    expect(problems[0].message).toBe('unknown key (a typo here would silently disable a setting)');
    expect(problems[1].message).toMatch(/starting with LADDER_SECRET_/);
    expect(problems[2].message).toBe(
      'expected the absolute path of a file holding the secret, got "secrets/c"',
    );
    expect(problems[3].message).toMatch(/^expected a host name, optionally with :port/);
  });
});
