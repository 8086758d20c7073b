import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm test` excludes test/e2e (vitest.config.ts), so a test that needs no servers must not live there: it would
 * never run. And everything under test/e2e must need the servers. This runs the e2e suite exactly as
 * `npm run test:e2e` would on a machine without drachtio-server and FreeSWITCH (no E2E_* variables) and asks
 * that no test ran, apart from the notices that say the suite was skipped.
 */
const root = join(import.meta.dirname, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

interface JsonReport {
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

describe('test split: server-free tests run in `npm test`, test/e2e only with the servers', () => {
  it('without E2E_* variables, no test under test/e2e runs (only "is skipped: ..." notices)', () => {
    const out = mkdtempSync(join(tmpdir(), 'acd-split-'));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('E2E_') && !k.startsWith('VITEST')));
      const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'vitest.e2e.config.ts', '--reporter=json', `--outputFile=${join(out, 'r.json')}`], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const report = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as JsonReport;
      const files = report.testResults.map((f) => relative(root, f.name)).sort();
      expect(files).toEqual(testFiles(join(root, 'test', 'e2e')).sort());
      const ran = report.testResults.flatMap((f) =>
        f.assertionResults.filter((a) => a.status !== 'skipped' && a.status !== 'pending' && !/ is skipped: /.test(a.fullName)).map((a) => `${relative(root, f.name)}: ${a.fullName}`),
      );
      expect(ran, 'these tests run without servers: move them under test/ outside test/e2e (e.g. test/bench)').toEqual([]);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('test/bench is part of `npm test` (vitest.config.ts excludes only test/e2e)', () => {
    const config = readFileSync(join(root, 'vitest.config.ts'), 'utf8');
    expect(config).toMatch(/include: \['test\/\*\*\/\*\.test\.ts'\]/);
    expect(config).toMatch(/exclude: \['test\/e2e\/\*\*', 'node_modules\/\*\*'\]/);
    expect(testFiles(join(root, 'test', 'bench'))).toContain('test/bench/sip-load-report.test.ts');
  });
});
