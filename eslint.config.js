// Type-aware lint. The pure core (erlang, acd, ivr, sim, core) must not import adapter packages:
// that is what keeps it testable on a virtual clock and reusable by the simulator.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ADAPTER_PACKAGES = ['drachtio-srf', 'drachtio-fsmrf', 'drachtio-modesl', 'drachtio-*', 'ioredis', 'pg', 'pg-*', 'node-pg-migrate', 'fastify', '@fastify/*'];
const ADAPTER_DIRS = ['**/sip/**', '**/media/**', '**/store/**', '**/api/**', '**/call/**', '**/main', '**/main.js'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['src/erlang/**', 'src/acd/**', 'src/ivr/**', 'src/sim/**', 'src/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ADAPTER_PACKAGES, message: 'The pure core imports no adapter package (see DESIGN.md §2 rule 2): take a port instead.' },
          { group: ADAPTER_DIRS, message: 'The pure core does not import adapters: take a port instead.' },
        ],
      }],
    },
  },
  {
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
