import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'bin/', '.bench/', 'web/dist/', 'test-results/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config (only config/load.ts reads the environment).' }],
    },
  },
  { files: ['src/config/load.ts', 'test/**', 'bench/**', 'scripts/**', 'vitest.config.ts', 'src/**/*.test.ts'], rules: { 'no-restricted-properties': 'off' } },
  { files: ['src/cli/output.ts', 'bench/**', 'test/**', 'scripts/**'], rules: { 'no-console': 'off' } },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'core is pure and browser-safe: no node:* modules.' }] }],
    },
  },
)
