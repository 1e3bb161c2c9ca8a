import { createActionRegistry } from '../../../activities/actions/registry';

describe('action registry', () => {
  const registry = createActionRegistry();

  it('holds the four built-in handlers', () => {
    expect(registry.types()).toEqual(['config.set', 'file.write', 'http.request', 'shell.exec']);
  });

  it('names the known types for an unknown one', () => {
    expect(() => registry.get('k8s.delete')).toThrow(
      'unknown action type "k8s.delete" (known: config.set, file.write, http.request, shell.exec)',
    );
  });

  it('validates params against the handler schema, naming each path', () => {
    expect(registry.validate('http.request', { method: 'YEET', url: 'ftp://x', extra: 1 })).toEqual({
      ok: false,
      errors: [
        'params.method: expected one of GET, POST, PUT, PATCH, DELETE',
        'params.url: expected an http(s) URL',
        'params.extra: unknown parameter of http.request',
      ],
    });
    expect(registry.validate('config.set', { file: 'a.json', set: { 'limits.rps': 1 } })).toMatchObject({
      ok: true,
    });
    // What the run could only refuse: a path that climbs out, a GET with a body it would never send.
    expect(registry.validate('file.write', { path: 'a/../../b.txt', content: '' })).toEqual({
      ok: false,
      errors: ['params.path: "a/../../b.txt" leaves the workspace folder (it climbs out with ..)'],
    });
    expect(registry.validate('file.write', { path: 'a/../b.txt', content: '' })).toMatchObject({ ok: true });
    expect(
      registry.validate('http.request', {
        method: 'GET',
        url: 'http://x/a',
        body: { a: 1 },
        undo: { method: 'GET', url: 'http://x/b', body: 'y' },
      }),
    ).toEqual({
      ok: false,
      errors: [
        'params.undo.body: a GET request sends no body: remove it, or use POST, PUT or PATCH',
        'params.body: a GET request sends no body: remove it, or use POST, PUT or PATCH',
      ],
    });
    expect(registry.validate('config.set', { file: 'a.json', set: { 'a b': 1 }, 'x\u0000': 1 })).toEqual({
      ok: false,
      errors: [
        'params.set["a b"]: invalid key: expected a dotted key such as limits.rps',
        'params["x\\u0000"]: unknown parameter of config.set',
      ],
    });
  });

  it('describes each action for the approver', () => {
    const shell = registry.get('shell.exec');
    expect(shell.describe(shell.params.parse({ command: 'make deploy', undo: 'make rollback' }))).toBe(
      'run `make deploy` in the sandbox; undo: `make rollback`',
    );
    expect(shell.blastRadius(shell.params.parse({ command: 'x' }))).toBe('high');
  });
});
