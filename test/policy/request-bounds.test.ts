import { createActionRegistry } from '../../activities/actions/registry';
import { parseRequestBounds, REQUEST_BOUND, requestAllowed, stepRequests } from '../../policy/request-bounds';

describe('bounds.requests', () => {
  const bounds = parseRequestBounds([
    'POST https://deploy.internal/deploys',
    'GET https://deploy.internal/health',
    'https://status.internal/v1/',
  ]);
  const allowed = (method: string, url: string): boolean => requestAllowed({ method, url }, bounds);

  it('allows a listed method under a listed prefix, at a / boundary', () => {
    expect(allowed('POST', 'https://deploy.internal/deploys')).toBe(true);
    expect(allowed('POST', 'https://deploy.internal/deploys/42/restart')).toBe(true);
    expect(allowed('GET', 'https://deploy.internal/health')).toBe(true);
    // An entry without a method allows any.
    expect(allowed('DELETE', 'https://status.internal/v1/incidents/7')).toBe(true);
    expect(allowed('DELETE', 'https://deploy.internal/deploys/42')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/deploys-admin')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/')).toBe(false);
    expect(allowed('POST', 'https://other.internal/deploys')).toBe(false);
    expect(allowed('POST', 'http://deploy.internal/deploys')).toBe(false);
  });

  it('reads URLs as a server does, keeping the case of the path', () => {
    expect(allowed('POST', 'HTTPS://Deploy.Internal:443/deploys')).toBe(true);
    expect(allowed('POST', 'https://deploy.internal/%64eploys')).toBe(true);
    expect(allowed('POST', 'https://deploy.internal/x/../deploys?force=1#top')).toBe(true);
    // Climbing out does not get out, escaped or not: a server may decode %2F before it routes.
    expect(allowed('POST', 'https://deploy.internal/deploys/../admin')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/deploys/..%2F..%2Fadmin')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/deploys/..%5c..%5cadmin')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/deploys/%2E%2E/admin')).toBe(false);
    // Tomcat, Jetty and Spring drop ;parameters (`/deploys/..;/admin` is `/admin`), and a server
    // that decodes twice reads %252F as /: neither is ever inside.
    expect(allowed('POST', 'https://deploy.internal/deploys/..;/admin')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/deploys;v=2')).toBe(false);
    expect(allowed('POST', 'https://deploy.internal/deploys/..%252Fadmin')).toBe(false);
    // A server may tell /Deploys from /deploys: only the listed spelling is allowed.
    expect(allowed('POST', 'https://deploy.internal/DEPLOYS')).toBe(false);
    expect(allowed('POST', 'not a url')).toBe(false);
    // A path starting with // stays on its host: it is not the host it spells.
    expect(allowed('GET', 'https://other.internal//deploy.internal/health')).toBe(false);
    expect(allowed('GET', 'https://deploy.internal//')).toBe(false);
  });

  it('accepts the shapes the policy loader accepts, and only those', () => {
    for (const ok of ['POST https://a.b/c', 'https://a.b/', 'DELETE http://127.0.0.1:4100/x/y'])
      expect([ok, REQUEST_BOUND.test(ok)]).toEqual([ok, true]);
    for (const bad of [
      'post https://a.b/c',
      'https://a.b/c?x=1',
      'POST  https://a.b',
      'TRACE https://a.b',
      'a.b/c',
      'POST',
    ])
      expect([bad, REQUEST_BOUND.test(bad)]).toEqual([bad, false]);
  });

  it('lists every request a task may send, with its field and method, as the handlers name them', () => {
    const registry = createActionRegistry();
    const steps = [
      {
        action: 'http.request',
        params: {
          method: 'POST',
          url: 'https://deploy.internal/deploys',
          verifyUrl: 'https://deploy.internal/deploys/1',
          undo: { method: 'DELETE', url: 'https://deploy.internal/deploys/1' },
          healthUrl: 'https://deploy.internal/health',
        },
      },
      {
        action: 'config.set',
        params: {
          file: 'a.json',
          set: { x: 1 },
          reloadUrl: 'https://svc/reload',
          healthUrl: 'https://svc/health',
        },
      },
      { action: 'shell.exec', params: { command: 'true' } },
    ];
    expect(stepRequests(registry, steps)).toEqual([
      { step: 0, field: 'params.url', method: 'POST', url: 'https://deploy.internal/deploys' },
      { step: 0, field: 'params.verifyUrl', method: 'GET', url: 'https://deploy.internal/deploys/1' },
      { step: 0, field: 'params.undo.url', method: 'DELETE', url: 'https://deploy.internal/deploys/1' },
      { step: 0, field: 'params.healthUrl', method: 'GET', url: 'https://deploy.internal/health' },
      { step: 1, field: 'params.reloadUrl', method: 'POST', url: 'https://svc/reload' },
      { step: 1, field: 'params.healthUrl', method: 'GET', url: 'https://svc/health' },
    ]);
    // Params that do not validate: nothing is guessed, and the decision finds the task outside bounds.
    expect(stepRequests(registry, [{ action: 'http.request', params: { method: 'POST' } }])).toBeUndefined();
  });
});
