import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layering rules from docs/architecture.md, enforced here so a wrong import fails CI.
const layer = (files, patterns, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }] },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tools/sidebyside/recorded/**', 'tools/sidebyside/out/**', 'bench/out/**'] },
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  layer(['src/domain/**'], ['../*', '!./*'], 'src/domain imports nothing outside itself'),
  layer(['src/render/**'], ['../api/*', '../service/*', '../store/*', '../worker/*', '../amphora/*', '../health/*', '../drivers/*', '../cli/*'], 'src/render imports only src/domain'),
  layer(['src/amphora/agent/**'], ['**/store/*', '**/api/*', '**/service/*'], 'the agent never imports the store, the API or services'),
  layer(['src/store/**'], ['../api/*', '../service/*', '../worker/*'], 'the store sits below services and the API'),
  layer(['src/service/**'], ['../api/*'], 'services do not know about HTTP'),
  layer(['src/identity/**'], ['../api/*', '../service/*', '../worker/*'], 'src/identity sits beside services: domain and store only'),
);
