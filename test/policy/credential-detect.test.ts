import { credentialKindOf, findCredentials, isCredentialHeader } from '../../policy/credential-detect';

// Test values are assembled at run time, so secret scanners do not flag this file.
const repeat = (c: string, n: number): string => c.repeat(n);
const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.${repeat('s', 20)}`;

describe('credential detection', () => {
  it.each([
    ['Authorization'],
    ['authorization'],
    ['PROXY-AUTHORIZATION'],
    ['Cookie'],
    ['x-api-key'],
    ['X-Auth-Token'],
    ['X-Client-Secret'],
    ['Api_Key'],
  ])('treats the %s header as carrying a credential', (name) => {
    expect(isCredentialHeader(name)).toBe(true);
  });

  it.each([['Content-Type'], ['Accept'], ['Idempotency-Key'], ['X-Request-Id']])(
    'lets the %s header through',
    (name) => expect(isCredentialHeader(name)).toBe(false),
  );

  it.each([
    ['a Bearer token', `Bearer ${repeat('a', 24)}`],
    ['a Bearer token', `curl -H "Authorization: Bearer abc123${repeat('x', 10)}" http://x`],
    ['Basic credentials', `Basic ${Buffer.from('deploy:hunter2').toString('base64')}`],
    ['a Slack token', `xoxb-${repeat('1', 12)}-${repeat('a', 24)}`],
    ['a Slack token', `token=xoxp-${repeat('9', 12)}`],
    ['a GitHub token', `ghp_${repeat('A', 36)}`],
    ['a GitHub token', `gho_${repeat('b', 36)}`],
    ['a GitHub token', `ghs_${repeat('c', 36)}`],
    ['a GitHub token', `github_pat_${repeat('d', 22)}_${repeat('e', 59)}`],
    ['an API secret key (sk-…)', `sk-${repeat('f', 24)}`],
    ['an API secret key (sk-…)', `OPENAI_API_KEY=sk-proj-${repeat('g', 30)}`],
    ['an AWS access key id', `AKIA${repeat('Z', 16)}`],
    ['a JSON Web Token', jwt],
    ['a private key', `-----BEGIN RSA PRIVATE KEY-----\nMIIE...`],
    ['a private key', `-----BEGIN OPENSSH PRIVATE KEY-----`],
    ['a private key', `-----BEGIN PRIVATE KEY-----`],
  ])('recognises %s in %j', (kind, value) => {
    expect(credentialKindOf(value)).toBe(kind);
  });

  it.each([
    ['prose about tokens', 'Rotate the Bearer token and upgrade to the Basic plan'],
    ['a short word after Bearer', 'Bearer token'],
    ['a word after Basic that is not user:password', 'Basic subscription'],
    ['a short sk- id', 'sk-123'],
    ['a test Slack token', 'xoxb-test'],
    ['a plain version', '1.42.0'],
    ['a URL', 'http://127.0.0.1:4100/deploys'],
    ['a public key', '-----BEGIN PUBLIC KEY-----'],
    ['a word starting with AKIA', 'AKIAB'],
  ])('lets %s through', (_what, value) => {
    expect(credentialKindOf(value)).toBeUndefined();
  });

  it('finds credential headers in any headers map and credential-shaped strings anywhere, in document order', () => {
    expect(
      findCredentials({
        method: 'POST',
        url: 'http://127.0.0.1:4100/deploys',
        headers: { Accept: 'application/json', Authorization: 'whatever' },
        body: { service: 'checkout', notes: ['fine', { key: `AKIA${repeat('Q', 16)}` }] },
        undo: { method: 'POST', headers: { 'X-Api-Key': 'k' } },
      }),
    ).toEqual([
      { path: ['headers', 'Authorization'], kind: 'the Authorization header' },
      { path: ['body', 'notes', 1, 'key'], kind: 'an AWS access key id' },
      { path: ['undo', 'headers', 'X-Api-Key'], kind: 'the X-Api-Key header' },
    ]);
  });

  it('names a header once, not again for its value', () => {
    expect(findCredentials({ headers: { Authorization: `Bearer ${repeat('a', 30)}` } })).toEqual([
      { path: ['headers', 'Authorization'], kind: 'the Authorization header' },
    ]);
  });

  it('reads a key named token outside a headers map as data, not as a header', () => {
    expect(findCredentials({ body: { token: 'page-2', secret: 'the answer is 42' } })).toEqual([]);
  });

  it('finds nothing in params without credentials, and handles deep nesting without recursion', () => {
    expect(findCredentials({ command: 'npm run deploy', cwd: '.' })).toEqual([]);
    let deep: unknown = jwt;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(findCredentials({ deep })).toHaveLength(1);
  });

  it('never puts the value in a finding', () => {
    const value = `ghp_${repeat('S', 36)}`;
    expect(JSON.stringify(findCredentials({ a: value }))).not.toContain(value);
  });
});
