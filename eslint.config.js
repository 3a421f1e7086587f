import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'scratch/', '.steadfast/', 'coverage/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'pg', message: 'Modules use the db adapters in src/platform/db, not pg directly.' },
            ...['node:fs', 'node:fs/promises', 'node:child_process'].map((name) => ({
              name,
              message: 'Modules receive I/O adapters from src/platform; they do not touch files or processes directly.',
            })),
          ],
        },
      ],
    },
  },
  {
    // Adapters, composition roots and tests may reach the driver.
    files: ['src/platform/**', 'src/app/**', 'test/**', 'bench/**', 'scripts/**', '**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
