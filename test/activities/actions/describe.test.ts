import { configSet } from '../../../activities/actions/config-set';
import { fileWrite } from '../../../activities/actions/file-write';
import { httpRequest } from '../../../activities/actions/http-request';

// What an approver reads in the rung-2 request (slack/blocks/task-wording.ts shows each step's
// describe()): everything that will be sent, and a cut part that says it is cut.

const CUT =
  /… \(\+(\d+) more characters; the full (request|content|path|change) is in the task's steps in the Temporal UI\)/;

describe('http.request describe()', () => {
  const describe_ = (raw: Record<string, unknown>) => httpRequest.describe(httpRequest.params.parse(raw));

  it('shows the method, URL, every header and the body, and the undo request the same way', () => {
    expect(
      describe_({
        method: 'POST',
        url: 'https://deploy.example.com/deploys',
        headers: { 'Content-Type': 'application/json', 'X-Change': 'CHG-42, urgent' },
        body: { service: 'web', version: '1.2.3' },
        undo: {
          method: 'DELETE',
          url: 'https://deploy.example.com/deploys/web',
          headers: { 'X-Change': 'CHG-42' },
          body: { reason: 'rollback' },
        },
        verifyUrl: 'https://deploy.example.com/deploys/web',
      }),
    ).toBe(
      'POST https://deploy.example.com/deploys with headers {"Content-Type":"application/json","X-Change":"CHG-42, urgent"} and body {"service":"web","version":"1.2.3"}' +
        '; undo: DELETE https://deploy.example.com/deploys/web with headers {"X-Change":"CHG-42"} and body {"reason":"rollback"}' +
        '; check after a crash: GET https://deploy.example.com/deploys/web',
    );
  });

  it('says so when no undo is declared, and shows a request with neither headers nor body as it is', () => {
    expect(describe_({ method: 'GET', url: 'http://svc/health' })).toBe(
      'GET http://svc/health; no undo declared',
    );
  });

  it('shows where a URL goes, as it is sent: dot segments resolved', () => {
    expect(
      describe_({
        method: 'POST',
        url: 'http://svc/deploys/../admin/wipe',
        verifyUrl: 'http://svc/deploys/x/../../admin',
      }),
    ).toBe('POST http://svc/admin/wipe; no undo declared; check after a crash: GET http://svc/admin');
  });

  it('marks a cut body with how much more there is and where the full request is', () => {
    const text = describe_({ method: 'POST', url: 'http://svc/notes', body: { text: 'x'.repeat(1000) } });
    const full = JSON.stringify({ text: 'x'.repeat(1000) });
    expect(text).toContain(`body ${full.slice(0, 300)}… (+${full.length - 300} more characters;`);
    expect(text).toMatch(CUT);
    expect(text).toMatch(/; no undo declared$/);
  });

  it('cuts headers and the undo body the same way, never silently', () => {
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`X-H${i}`, 'v'.repeat(20)]));
    const text = describe_({
      method: 'PUT',
      url: 'http://svc/a',
      headers,
      undo: { method: 'PUT', url: 'http://svc/a', body: 'b'.repeat(500) },
    });
    expect(text.match(new RegExp(CUT.source, 'g'))).toHaveLength(2);
    expect(text).toContain('with headers {"X-H0":"vvvvvvvvvvvvvvvvvvvv",');
  });

  it('stays bounded whatever the params hold, well inside a Slack section', () => {
    const long = 'y'.repeat(20_000);
    const headers = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`X-${i}`, 'h'.repeat(100)]));
    const text = describe_({
      method: 'POST',
      url: `http://svc/${long}`,
      headers,
      body: { long },
      undo: { method: 'POST', url: `http://svc/${long}`, headers, body: { long } },
      verifyUrl: `http://svc/${long}`,
    });
    expect(text.length).toBeLessThanOrEqual(2000 + 100);
    expect(text).toContain('; undo: POST http://svc/');
    expect(text).toContain('; check after a crash: GET http://svc/');
  });

  it('does not repeat a credential header, should one get past the submission check', () => {
    const text = describe_({
      method: 'POST',
      url: 'http://svc/a',
      headers: { Authorization: 'Bearer abcdefgh12345678', 'X-Plain': 'shown' },
    });
    expect(text).toContain('"Authorization":"[a credential: not shown]"');
    expect(text).toContain('"X-Plain":"shown"');
    expect(text).not.toContain('abcdefgh12345678');
  });
});

describe('file.write describe()', () => {
  it('shows the size, the path and the content, with line breaks and tabs visible', () => {
    expect(fileWrite.describe({ path: 'notes/a.txt', content: 'one\n\ttwo\n' })).toBe(
      'write 9 bytes to notes/a.txt: "one\\n\\ttwo\\n"',
    );
    expect(fileWrite.describe({ path: 'empty.txt', content: '' })).toBe('write 0 bytes to empty.txt: ""');
  });

  it('shows the first 200 characters and marks the rest', () => {
    const content = `${'a'.repeat(200)}SECRET-TAIL`;
    const text = fileWrite.describe({ path: 'a.txt', content });
    expect(text).toBe(
      `write 211 bytes to a.txt: "${'a'.repeat(200)}"… (+11 more characters; the full content is in the task's steps in the Temporal UI)`,
    );
  });

  it('cuts at characters, never inside an emoji', () => {
    const text = fileWrite.describe({ path: 'a.txt', content: '🚀'.repeat(250) });
    expect(text).toContain(`"${'🚀'.repeat(200)}"… (+50 more characters;`);
  });

  it('stays bounded for a long path and a large file', () => {
    const text = fileWrite.describe({ path: `${'d/'.repeat(2000)}f.txt`, content: 'z'.repeat(60_000) });
    expect(text.length).toBeLessThan(800);
    expect(text.match(new RegExp(CUT.source, 'g'))).toHaveLength(2);
  });
});

describe('config.set describe()', () => {
  it('shows each key and value, and the reload', () => {
    expect(
      configSet.describe(
        configSet.params.parse({
          file: 'app.json',
          set: { 'limits.rps': 20, banner: 'Déployé 🚀' },
          reloadUrl: 'http://svc/reload',
        }),
      ),
    ).toBe('set limits.rps = 20, banner = "Déployé 🚀" in app.json, then POST http://svc/reload');
  });

  it('cuts a long value and the whole description, and says so', () => {
    const set = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'.repeat(300)]));
    const text = configSet.describe(configSet.params.parse({ file: 'app.json', set }));
    expect(text).toMatch(CUT);
    expect(text.length).toBeLessThanOrEqual(1500 + 100);
  });
});
