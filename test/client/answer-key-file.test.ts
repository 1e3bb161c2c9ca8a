import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAnswerKey, writeAnswerKeyFile } from '../../client/answer-signer';

describe('writing an answer key file', () => {
  it('keeps the key and its own folder private, and leaves the parents it creates searchable', () => {
    const base = mkdtempSync(join(tmpdir(), 'ladder-keyfile-'));
    const path = join(base, '.temporal', 'keys', 'frontend.key.json');
    const file = generateAnswerKey('frontend-test', 'frontend');
    writeAnswerKeyFile(path, file);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(file);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(base, '.temporal', 'keys')).mode & 0o777).toBe(0o700);
    // The local cluster's postgres user keeps its data under .temporal/cluster: it must get through.
    expect(statSync(join(base, '.temporal')).mode & 0o001).toBe(0o001);
  });
});
