// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const determinism =
  'workflows/ must stay deterministic: no Node built-ins, I/O, process.env or wall-clock (see DESIGN.md §4).';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.temporal/**',
      'coverage/**',
      'eslint.config.mjs',
      'jest.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests poke at untyped parsed YAML/JSON documents to build broken variants.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The workflow sandbox replays history: anything non-deterministic here breaks running workflows.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: determinism })),
          patterns: [
            { group: ['node:*'], message: determinism },
            {
              // Activity *values* must never be bundled into workflows; their types are fine.
              group: [
                '**/activities',
                '**/activities/**',
                '@temporalio/activity',
                '@temporalio/worker',
                '@temporalio/client',
              ],
              allowTypeImports: true,
              message:
                'workflows import activity types only (`import type`); call activities through proxyActivities.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: determinism },
        { object: 'Date', property: 'now', message: determinism },
        {
          object: 'Math',
          property: 'random',
          message: 'use the workflow-safe random from @temporalio/workflow',
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: determinism },
        { name: 'require', message: determinism },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: determinism },
      ],
    },
  },
);
