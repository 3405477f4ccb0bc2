// Lint rules, including DESIGN.md's import rules: only main/electron/ imports 'electron';
// ml/ imports nothing from main/ or renderer/; renderer/ imports only types from main/;
// common/ (the API, its protocol and client, shared by engine and renderer) runs anywhere, so it
// imports nothing from the app's other folders nor Node's modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'scratch/**',
      'test/.fixtures/**',
      'out/**',
      'renderer/**/*.svelte',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['ml/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '../main/*', '../../main/*'],
              message: 'ml/ must not import from main/.',
            },
            { group: ['**/renderer/**'], message: 'ml/ must not import from renderer/.' },
            { group: ['electron'], message: 'Only main/electron/ may import electron.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    ignores: ['main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only main/electron/ may import electron.' }] },
      ],
    },
  },
  {
    // Runs in the AudioWorklet global scope.
    files: ['renderer/public/capture-worklet.js'],
    languageOptions: { globals: { AudioWorkletProcessor: 'readonly', registerProcessor: 'readonly' } },
  },
  {
    files: ['common/**/*.ts'],
    ignores: ['common/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/ml/**', '**/renderer/**'],
              message: 'common/ imports nothing from the app’s other folders.',
            },
            {
              group: ['node:*', 'electron'],
              message: 'common/ runs in the browser too: no Node or Electron modules.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**'],
              allowTypeImports: true,
              message: 'renderer/ imports only types from main/.',
            },
            { group: ['electron'], message: 'Only main/electron/ may import electron.' },
          ],
        },
      ],
    },
  },
);
