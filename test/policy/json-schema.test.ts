import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { policyJsonSchema } from '../../policy/json-schema';

describe('policy JSON Schema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(policyJsonSchema());
  const example = parseYaml(readFileSync(join(__dirname, '..', '..', 'examples', 'policy.yaml'), 'utf8'), {
    merge: true,
  }) as Record<string, any>;

  it('accepts the example policy as written', () => {
    expect(validate(example) ? [] : validate.errors).toEqual([]);
  });

  it('rejects what the loader rejects: an unknown key and a wrong type', () => {
    const typo = structuredClone(example);
    typo.taskClasses.deploy.bounds.perDya = {};
    expect(validate(typo)).toBe(false);
    const wrongType = structuredClone(example);
    wrongType.taskClasses.deploy.bounds.perDay.costUsd = 'fifty';
    expect(validate(wrongType)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain(
      '/taskClasses/deploy/bounds/perDay/costUsd',
    );
  });

  it('describes durations as the strings people write', () => {
    const schema = JSON.stringify(policyJsonSchema());
    expect(schema).toContain('number + unit (ms, s, m, h, d, w), e.g. 30m or 14d');
  });
});
