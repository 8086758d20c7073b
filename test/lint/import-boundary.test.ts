import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// The import-boundary rule is what keeps the pure core (erlang, acd, ivr, sim, core) free of adapters. This test
// lints probe snippets at core paths with the project's real eslint.config.js, so weakening the rule fails here.
// Type-aware rules are switched off for the probes: the files do not exist on disk and the rule under test is not
// type-aware.
const eslint = new ESLint({
  overrideConfig: [tseslint.configs.disableTypeChecked, { languageOptions: { parserOptions: { projectService: false } } }],
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundary of the pure core', () => {
  const adapters = ['drachtio-srf', 'drachtio-fsmrf', 'ioredis', 'pg', 'fastify', 'node-pg-migrate'];
  for (const dir of ['erlang', 'acd', 'ivr', 'sim']) {
    for (const pkg of adapters) {
      it(`src/${dir} may not import ${pkg}`, async () => {
        const errors = await boundaryErrors(`src/${dir}/probe.ts`, `import x from '${pkg}';\nexport const y = x;\n`);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain('pure core');
      });
    }
    it(`src/${dir} may not import an adapter directory`, async () => {
      const errors = await boundaryErrors(`src/${dir}/probe.ts`, `import { x } from '../store/redis/client.js';\nexport const y = x;\n`);
      expect(errors).toHaveLength(1);
    });
  }

  it('adapters may import their packages', async () => {
    expect(await boundaryErrors('src/store/redis/probe.ts', `import x from 'ioredis';\nexport const y = x;\n`)).toEqual([]);
    expect(await boundaryErrors('src/sip/probe.ts', `import x from 'drachtio-srf';\nexport const y = x;\n`)).toEqual([]);
  });

  it('the core may import its own modules and node built-ins', async () => {
    expect(await boundaryErrors('src/acd/probe.ts', `import { x } from './model.js';\nimport { readFile } from 'node:fs/promises';\nexport const y = [x, readFile];\n`)).toEqual([]);
  });
});
