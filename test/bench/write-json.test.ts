import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BUILT = resolve(__dirname, '..', '..', 'dist', 'bench', 'tasks', 'write-json.js');

// Prettier formats through an ES module, which jest's VM cannot load: the built helper runs in
// plain Node, as the bench runs it (run `npm run build` first).
describe('writeJson (built, in plain Node)', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'ladder-write-json-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes JSON that the project's Prettier accepts as formatted, and that parses back", () => {
    const file = join(dir, 'result.json');
    const value = { rounds: [11.6, 19.1, 30.2], nested: { a: 'x', list: [{ n: 1 }, { n: 2 }] }, none: null };
    const script = `require(${JSON.stringify(BUILT)}).writeJson(${JSON.stringify(file)}, ${JSON.stringify(value)})`;
    execFileSync(process.execPath, ['-e', script]);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('"rounds": [11.6, 19.1, 30.2]');
    // Prettier's own check, run the way `npm run lint` runs it.
    const prettier = resolve(__dirname, '..', '..', 'node_modules', '.bin', 'prettier');
    expect(() =>
      execFileSync(prettier, ['--check', '--no-config', '--print-width', '110', file]),
    ).not.toThrow();
  });
});
