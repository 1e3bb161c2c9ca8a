import { createActionRegistry } from '../../../activities/actions/registry';

// What a step acts on, as a standing approval's scope compares it: canonical, so the same file, URL or
// command written two ways is one target, and what the step writes (content, values, body) is not
// part of it.

describe('action targets', () => {
  const registry = createActionRegistry();
  const targets = (action: string, params: unknown) => registry.targets(action, params);

  it('names the file of file.write, whatever its content, with the path made canonical', () => {
    expect(targets('file.write', { path: 'flags/a.json', content: '1' })).toEqual(['write flags/a.json']);
    expect(targets('file.write', { path: './flags//a.json', content: 'other' })).toEqual([
      'write flags/a.json',
    ]);
    expect(targets('file.write', { path: 'flags/b.json', content: '1' })).toEqual(['write flags/b.json']);
  });

  it('names each key of config.set and every URL it calls, not the values', () => {
    expect(
      targets('config.set', {
        file: './svc/config.yaml',
        set: { 'limits.rps': 5, mode: 'fast' },
        reloadUrl: 'HTTP://127.0.0.1:80/reload',
        healthUrl: 'http://127.0.0.1:4100/health',
      }),
    ).toEqual([
      'set limits.rps in svc/config.yaml',
      'set mode in svc/config.yaml',
      'reload: POST http://127.0.0.1/reload',
      'health: GET http://127.0.0.1:4100/health',
    ]);
    expect(targets('config.set', { file: 'svc/config.yaml', set: { 'limits.rps': 9 } })).toEqual([
      'set limits.rps in svc/config.yaml',
    ]);
  });

  it('names every request http.request may send, with the method and the parsed URL, not the body', () => {
    const step = {
      method: 'POST',
      url: 'http://127.0.0.1:4100/a/../deploys?env=staging',
      body: { version: '1.2.3' },
      headers: { 'X-Trace': 'abc' },
      verifyUrl: 'http://127.0.0.1:4100/deploys/1',
      undo: {
        method: 'DELETE',
        url: 'http://127.0.0.1:4100/deploys/1',
        verifyUrl: 'http://127.0.0.1:4100/gone/1',
      },
      healthUrl: 'http://127.0.0.1:4100/health',
    };
    expect(targets('http.request', step)).toEqual([
      'POST http://127.0.0.1:4100/deploys?env=staging',
      'check: GET http://127.0.0.1:4100/deploys/1',
      'undo: DELETE http://127.0.0.1:4100/deploys/1',
      'undo check: GET http://127.0.0.1:4100/gone/1',
      'health: GET http://127.0.0.1:4100/health',
    ]);
    expect(targets('http.request', { ...step, body: { version: '9' }, headers: {} })).toEqual(
      targets('http.request', step),
    );
    // Another method on the same URL is another target.
    expect(targets('http.request', { method: 'DELETE', url: step.url })).toEqual([
      'DELETE http://127.0.0.1:4100/deploys?env=staging',
    ]);
  });

  it('names every command shell.exec may run, with the folder it runs in', () => {
    expect(targets('shell.exec', { command: 'systemctl restart web' })).toEqual([
      'run systemctl restart web (in .)',
    ]);
    expect(
      targets('shell.exec', {
        command: 'systemctl restart web',
        undo: 'systemctl start web',
        verify: 'test -f ran',
        undoVerify: 'test -f undone',
        cwd: './svc/',
        timeoutMs: 1_000,
      }),
    ).toEqual([
      'run systemctl restart web (in svc)',
      'undo: systemctl start web (in svc)',
      'check: test -f ran (in svc)',
      'undo check: test -f undone (in svc)',
    ]);
  });

  it('refuses an unknown action or invalid params, naming which', () => {
    expect(() => targets('nope', {})).toThrow('unknown action type "nope"');
    expect(() => targets('file.write', { path: '' })).toThrow(/^file\.write: params are not valid/);
  });
});

// What a step reaches, as the policy's environmentTargets judge it: every URL it may call and every
// workspace path it may change, each named by its field.
describe('action reaches', () => {
  const registry = createActionRegistry();

  it('names every URL of http.request, the undo and checks included, with the method sent to it', () => {
    expect(
      registry.reaches('http.request', {
        method: 'POST',
        url: 'https://deploy.example.com/deploys',
        undo: { method: 'DELETE', url: 'https://deploy.example.com/deploys/1' },
        healthUrl: 'https://status.example.com/health',
      }),
    ).toEqual([
      { field: 'params.url', url: 'https://deploy.example.com/deploys', method: 'POST' },
      { field: 'params.undo.url', url: 'https://deploy.example.com/deploys/1', method: 'DELETE' },
      { field: 'params.healthUrl', url: 'https://status.example.com/health', method: 'GET' },
    ]);
  });

  it('names the file and URLs of config.set and the path of file.write; shell.exec reaches none', () => {
    expect(
      registry.reaches('config.set', { file: 'prod/app.json', set: { a: 1 }, reloadUrl: 'http://h/reload' }),
    ).toEqual([
      { field: 'params.file', path: 'prod/app.json' },
      { field: 'params.reloadUrl', url: 'http://h/reload', method: 'POST' },
    ]);
    expect(registry.reaches('file.write', { path: 'prod/a.txt', content: 'x' })).toEqual([
      { field: 'params.path', path: 'prod/a.txt' },
    ]);
    expect(registry.reaches('shell.exec', { command: 'ls' })).toEqual([]);
  });
});
