import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Workflows import the wording modules into Temporal's deterministic sandbox: they must bring no
// code with them (no Node built-ins, no I/O, nothing that could differ on replay). Type imports
// are erased at compile time and are fine.

const BLOCKS = join(__dirname, '..', '..', '..', 'slack', 'blocks');
const wordingModules = readdirSync(BLOCKS).filter((f) => f.endsWith('-wording.ts'));

describe('wording modules', () => {
  it('exist for the ledger, reports, rung questions, outcomes and unknown outcomes', () => {
    expect(wordingModules.sort()).toEqual(
      expect.arrayContaining([
        'ledger-wording.ts',
        'outcome-wording.ts',
        'report-wording.ts',
        'task-wording.ts',
        'unknown-outcome-wording.ts',
      ]),
    );
  });

  it.each(wordingModules)(
    '%s imports types only, and touches no clock, randomness or environment',
    (file) => {
      const source = readFileSync(join(BLOCKS, file), 'utf8');
      const imports = source.match(/^\s*import\s[^;]*;/gm) ?? [];
      for (const statement of imports) expect(statement).toMatch(/^\s*import\s+type\s/);
      expect(source).not.toMatch(/\brequire\(/);
      expect(source).not.toMatch(/\bimport\(/);
      expect(source).not.toMatch(/\b(Date|Math\.random|process|performance|setTimeout)\b/);
    },
  );
});
