import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { TEST_ENV } from '../setup/shared-state';

const ROOT = resolve(__dirname, '..', '..');

/** The class `node` constructs with `new Name(…)`, or '' when it is anything else. */
function constructorName(node: ts.Expression): string {
  return ts.isNewExpression(node) && ts.isIdentifier(node.expression) ? node.expression.text : '';
}

/**
 * What would leak between workflows if `source` were evaluated once and shared by every workflow
 * of a thread (as `bundleLadderWorkflows` preloads Ladder's modules): state at module level that
 * one workflow could change and the next would see, or that freezing would break.
 *
 * @returns one line per problem, naming the file, line and what is wrong; empty when safe.
 */
function moduleStateProblems(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const at = (node: ts.Node, what: string) =>
    problems.push(`${fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) at(statement, 'module-level let or var (shared by every workflow)');
      for (const decl of statement.declarationList.declarations) {
        const init = decl.initializer;
        if (!init) continue;
        const built = constructorName(init);
        if (
          ['Map', 'Set', 'WeakMap', 'WeakSet'].includes(built) &&
          !decl.type?.getText(file).startsWith('Readonly')
        )
          at(decl, `module-level ${built} not typed Readonly (freezing leaves its contents writable)`);
        const flagsArg = built === 'RegExp' && ts.isNewExpression(init) ? init.arguments?.[1] : undefined;
        const regexFlags = ts.isRegularExpressionLiteral(init)
          ? init.text.slice(init.text.lastIndexOf('/') + 1)
          : flagsArg && ts.isStringLiteral(flagsArg)
            ? flagsArg.text
            : '';
        if (/[gy]/.test(regexFlags))
          at(decl, 'module-level global or sticky regex (freezing makes its lastIndex read-only)');
      }
    }
    if (ts.isClassDeclaration(statement))
      for (const member of statement.members)
        if (
          ts.isPropertyDeclaration(member) &&
          member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) &&
          !member.modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword)
        )
          at(member, 'static class property that is not readonly (shared by every workflow)');
  }
  return problems;
}

/** Ladder's own source files the test bundle evaluates, from webpack's module markers. */
function bundledLadderSources(bundle: string): string[] {
  const files = new Set<string>();
  for (const [, path] of bundle.matchAll(/!\*{3} \.\/(\S+\.ts) \*{3}!/g))
    if (!path.startsWith('node_modules/')) files.add(path);
  return [...files].sort();
}

describe('moduleStateProblems: what sharing a module between workflows would leak', () => {
  it('names module-level state, mutable collections, global regexes and static fields', () => {
    const source = [
      'let seen = 0;',
      'export var flag = false;',
      'const cache = new Map<string, number>();',
      'const NAMES: ReadonlySet<string> = new Set(["a"]);',
      'const WORDS = /\\w+/g;',
      'const ID = /^U[A-Z0-9]+$/;',
      "const BEARER = new RegExp('Bearer (\\\\S+)', 'gi');",
      "const BASIC = new RegExp('^Basic', 'i');",
      'export const LIMIT = 3;',
      'class Counter { static count = 0; static readonly max = 2; }',
      'function f() { let local = 1; return local; }',
    ].join('\n');
    expect(moduleStateProblems('sample.ts', source)).toEqual([
      'sample.ts:1: module-level let or var (shared by every workflow)',
      'sample.ts:2: module-level let or var (shared by every workflow)',
      'sample.ts:3: module-level Map not typed Readonly (freezing leaves its contents writable)',
      'sample.ts:5: module-level global or sticky regex (freezing makes its lastIndex read-only)',
      'sample.ts:7: module-level global or sticky regex (freezing makes its lastIndex read-only)',
      'sample.ts:10: static class property that is not readonly (shared by every workflow)',
    ]);
  });
});

describe('the workflow bundle shares Ladder’s modules between workflows safely', () => {
  const bundle = readFileSync(process.env[TEST_ENV.bundlePath]!, 'utf8');
  const sources = bundledLadderSources(bundle);

  it('preloads the workflows’ entry module, so every module it imports is evaluated once per thread', () => {
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(bundle);
    expect(preload?.[1]).toMatch(/workflows\/index\.ts/);
    expect(sources).toEqual(
      expect.arrayContaining([
        'workflows/delegated-task.ts',
        'workflows/trust-ledger.ts',
        'policy/answer-proof.ts',
      ]),
    );
  });

  it('holds no per-workflow state at module level in any module it evaluates', () => {
    const problems = sources.flatMap((path) =>
      moduleStateProblems(path, readFileSync(join(ROOT, path), 'utf8')),
    );
    expect(problems).toEqual([]);
  });
});
