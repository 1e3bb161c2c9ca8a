import { createHash } from 'node:crypto';
import { canonicalJson } from '../../policy/canonical-json';
import { checkStepEdits, describeEdits, stepsHashOf, valueAt, whyNotNarrower } from '../../policy/step-edits';

const rules = {
  'http.request': { 'body.replicas': 'lower', 'body.regions': 'subset' },
  'file.write': { path: 'subpath' },
} as const;
const deploy = {
  action: 'http.request',
  params: { method: 'POST', url: 'http://x/d', body: { replicas: 5, regions: ['eu', 'us', 'ap'] } },
};

describe('edits before approval: narrowing only', () => {
  it('tells a narrowing from a widening for each rule', () => {
    expect(whyNotNarrower('lower', 5, 2)).toBeNull();
    expect(whyNotNarrower('lower', 5, 5)).toBe('5 is not lower than 5');
    expect(whyNotNarrower('lower', 5, '2')).toBe('expected a number');
    expect(whyNotNarrower('subset', ['a', 'b'], ['b'])).toBeNull();
    expect(whyNotNarrower('subset', ['a', 'b'], ['b', 'c'])).toBe('"c" was not in the list');
    expect(whyNotNarrower('subset', ['a', 'b'], ['a', 'a'])).toBe(
      'expected fewer items than before, each once',
    );
    expect(whyNotNarrower('subset', ['a'], [])).toBe('expected at least one item');
    expect(whyNotNarrower('subpath', 'data', 'data/2026')).toBeNull();
    expect(whyNotNarrower('subpath', 'data/', 'data/x')).toBeNull();
    expect(whyNotNarrower('subpath', 'data', 'database')).toBe('database is not inside data');
    expect(whyNotNarrower('subpath', '.', 'jobs/nightly')).toBeNull();
    expect(whyNotNarrower('subpath', '.', '/etc')).toBe('/etc is not inside .');
    expect(whyNotNarrower('subpath', 'data', 'data/../etc')).toBe('expected a path without . or ..');
  });

  it('accepts narrowed declared params and names each change', () => {
    const after = [{ ...deploy, params: { ...deploy.params, body: { replicas: 2, regions: ['eu'] } } }];
    const r = checkStepEdits(rules, [deploy], after);
    expect(r).toEqual({
      ok: true,
      edits: [
        { step: 0, path: 'body.replicas', from: 5, to: 2, rule: 'lower' },
        { step: 0, path: 'body.regions', from: ['eu', 'us', 'ap'], to: ['eu'], rule: 'subset' },
      ],
    });
    if (r.ok)
      expect(describeEdits(r.edits)).toBe(
        'step 1 body.replicas: 5 → 2; step 1 body.regions: ["eu","us","ap"] → ["eu"]',
      );
  });

  it('refuses anything else with the path: other params, actions, step counts, removals, no change', () => {
    const other = [{ ...deploy, params: { ...deploy.params, url: 'http://evil/d' } }];
    expect(checkStepEdits(rules, [deploy], other)).toEqual({
      ok: false,
      errors: ['steps.0.params: only body.replicas, body.regions may be changed for http.request'],
    });
    expect(checkStepEdits(rules, [deploy], [{ ...deploy, action: 'file.write' }])).toEqual({
      ok: false,
      errors: ['steps.0.action: expected http.request; an edit never changes the action'],
    });
    expect(checkStepEdits(rules, [deploy], [deploy, deploy])).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^steps: expected the same 1 step/)],
    });
    const removed = [{ ...deploy, params: { ...deploy.params, body: { regions: ['eu'] } } }];
    expect(checkStepEdits(rules, [deploy], removed)).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^steps\.0\.params\.body\.replicas: expected a value/)],
    });
    expect(checkStepEdits(rules, [deploy], [deploy])).toEqual({
      ok: false,
      errors: ['steps: nothing was changed'],
    });
    // A class without edits lets nothing change.
    expect(checkStepEdits(undefined, [deploy], other)).toMatchObject({ ok: false });
  });

  it('reads dot paths and hashes steps exactly as the submitting client does', () => {
    expect(valueAt(deploy.params, 'body.replicas')).toBe(5);
    expect(valueAt(deploy.params, 'body.nope.x')).toBeUndefined();
    expect(valueAt(deploy.params, 'constructor')).toBeUndefined();
    expect(stepsHashOf([deploy])).toBe(
      createHash('sha256')
        .update(canonicalJson([deploy]))
        .digest('hex'),
    );
  });
});
