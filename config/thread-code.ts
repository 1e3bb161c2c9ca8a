// Worker threads run plain JavaScript. Under ts-jest the modules a thread loads are TypeScript
// sources, so the thread's own code installs a transpiling require hook first; from `dist/` it is
// never used.

/**
 * JavaScript for the start of a `new Worker(code, { eval: true })` script: when
 * `workerData.typescript` names the TypeScript compiler, `.ts` files required from then on are
 * transpiled to CommonJS on the fly. Expects `workerData` in scope.
 */
export const TS_REQUIRE_HOOK = `
if (workerData.typescript) {
  const ts = require(workerData.typescript);
  const { readFileSync } = require('node:fs');
  require.extensions['.ts'] = (module, filename) => {
    const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(outputText, filename);
  };
}
`;

/**
 * What `workerData.typescript` should be for a thread that loads `entry` (a resolved module path):
 * the compiler's path when `entry` is a TypeScript source, else undefined.
 */
export function typescriptFor(entry: string): string | undefined {
  return entry.endsWith('.ts') ? require.resolve('typescript') : undefined;
}

/**
 * The whole script of a thread whose work is one module: `workerData.entry` is required (after
 * {@link TS_REQUIRE_HOOK}) and runs on load, reading `workerData` and `parentPort` itself.
 */
export const MODULE_THREAD_CODE = `
const { workerData } = require('node:worker_threads');
${TS_REQUIRE_HOOK}
require(workerData.entry);
`;
