import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'bench/.tmp/', 'build/**/*.cjs', 'build/make-icons.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // The layering rule of DESIGN.md: the renderer only reaches electron/shared.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(electron|node:.*)$|/electron/(main|preload)/', message: 'The renderer talks to the main side only through the contract (electron/shared).' },
            { regex: '^zod$|/shared/(contract|contract-recipe|contract-health|contract-providers|profile|recipe)$', allowTypeImports: true, message: 'Keep zod out of the renderer bundle: import types only.' },
          ],
        },
      ],
    },
  },
  {
    // Services are plain Node: Electron reaches them only through interfaces passed at start-up.
    files: ['electron/main/**/*.ts'],
    ignores: ['electron/main/index.ts', 'electron/main/ipc/register-ipc.ts', 'electron/main/security/window-options.ts', '**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Services are plain Node; pass Electron features in through ServiceDeps.', allowTypeImports: true }] }] },
  },
  {
    files: ['electron/shared/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(electron|node:.*)$|/(main|renderer|preload)/', message: 'electron/shared is pure TypeScript.' }] }] },
  },
  {
    files: ['**/*.test.ts', 'e2e/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }] },
  },
);
