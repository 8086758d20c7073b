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
    files: ['src/erlang/**', 'src/acd/**', 'src/ivr/**', 'src/sim/**', 'src/core/**', 'src/reviews/rules.ts', 'src/workflow/work-order-rules.ts'],
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
    // sip/ is an adapter under the call layer, not a second composition root (issue 9 item 29): it never reaches
    // the stores and never builds or calls a call-layer service by import. main.ts wires the services and hands
    // sip/ what it needs; sip/ may name the call layer's types (its ports) in type-only imports.
    files: ['src/sip/**', 'src/media/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/store/**'], message: 'sip/ and media/ do not import the stores: main.ts passes them a port.' },
          { group: ['**/main', '**/main.js'], message: 'Wiring lives in main.ts; adapters do not import it.' },
          {
            group: ['**/call/*', '!**/call/ports.js', '!**/call/errors.js', '!**/call/feature-codes.js'],
            allowTypeImports: true,
            message: 'sip/ and media/ do not build or call call-layer services by import: main.ts wires them (type-only imports are fine).',
          },
        ],
      }],
    },
  },
  {
    // The wallboard page's script: plain browser JavaScript served as is (no build step, no type information).
    files: ['src/api/wallboard/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: Object.fromEntries(['window', 'document', 'location', 'history', 'localStorage', 'sessionStorage', 'fetch', 'EventSource', 'URL', 'URLSearchParams', 'CSS', 'performance', 'setInterval', 'console', 'uPlot'].map((g) => [g, 'readonly'])),
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
