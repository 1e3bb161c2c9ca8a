import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { dynamicConfigFlags, LADDER_DYNAMIC_CONFIG } from '../../scripts/temporal-dynamic-config';

describe('the Temporal dynamic config Ladder runs with', () => {
  it('turns on the priority-aware matcher and eager activity dispatch', () => {
    expect(LADDER_DYNAMIC_CONFIG).toEqual({
      'matching.useNewMatcher': true,
      'system.enableActivityEagerExecution': true,
    });
  });

  it('becomes start-dev flags with JSON values, one pair per setting', () => {
    expect(dynamicConfigFlags({ 'a.flag': true, 'b.count': 3, 'c.name': 'x y' })).toEqual([
      '--dynamic-config-value',
      'a.flag=true',
      '--dynamic-config-value',
      'b.count=3',
      '--dynamic-config-value',
      'c.name="x y"',
    ]);
  });

  it('is the same in the local cluster’s dynamic.yaml, so both servers behave alike', () => {
    const file = join(__dirname, '..', '..', 'scripts', 'cluster', 'config', 'dynamic.yaml');
    const cluster = parse(readFileSync(file, 'utf8')) as Record<string, { value: unknown }[]>;
    for (const [key, value] of Object.entries(LADDER_DYNAMIC_CONFIG)) {
      expect({ key, values: cluster[key]?.map((v) => v.value) }).toEqual({ key, values: [value] });
    }
  });
});
