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
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
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

describe('import boundary of sip/ (wiring lives in main.ts)', () => {
  it('sip/ may not import a store', async () => {
    const errors = await boundaryErrors('src/sip/probe.ts', `import { RedisAcdStore } from '../store/redis/acd-store.js';\nexport const y = RedisAcdStore;\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('stores');
  });

  it('sip/ may not build a call-layer service', async () => {
    for (const mod of ['acd-bridge', 'agent-service', 'hotline', 'registry', 'overload']) {
      const errors = await boundaryErrors('src/sip/probe.ts', `import { X } from '../call/${mod}.js';\nexport const y = X;\n`);
      expect(errors, mod).toHaveLength(1);
    }
  });

  it('sip/ may not import main.ts', async () => {
    expect(await boundaryErrors('src/sip/probe.ts', `import { startServer } from '../main.js';\nexport const y = startServer;\n`)).toHaveLength(1);
  });

  it("sip/ may use the call layer's ports, errors and types", async () => {
    const code = [
      `import type { AnsweredSeat } from '../call/ports.js';`,
      `import { CallError } from '../call/errors.js';`,
      `import { isFeatureCode } from '../call/feature-codes.js';`,
      `import type { HotlineCalls } from '../call/hotline.js';`,
      `export type Z = AnsweredSeat | HotlineCalls;`,
      `export const y = [CallError, isFeatureCode];`,
    ].join('\n');
    expect(await boundaryErrors('src/sip/probe.ts', code)).toEqual([]);
  });

  it('main.ts may import everything', async () => {
    const code = `import { RedisAcdStore } from './store/redis/acd-store.js';\nimport { AcdBridge } from './call/acd-bridge.js';\nexport const y = [RedisAcdStore, AcdBridge];\n`;
    expect(await boundaryErrors('src/main.ts', code)).toEqual([]);
  });
});
