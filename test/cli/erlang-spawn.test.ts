import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The real `acd` binary (src/cli.ts through tsx): the JSON contract of issue 3 and the one-line error. */
const root = join(import.meta.dirname, '..', '..');
const acd = (...args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('acd erlang / acd staff as spawned', () => {
  it('acd erlang --json prints one object with the contract keys', () => {
    const r = acd('erlang', '--calls', '400', '--interval', '900', '--aht', '240', '--patience', '90', '--shrinkage', '0.3', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(String(r.stdout));
    for (const k of ['trafficErlangs', 'requiredAgents', 'scheduledAgents', 'agents', 'probWait', 'serviceLevel', 'asaSeconds', 'occupancy', 'abandonRate']) {
      expect(out).toHaveProperty(k);
    }
    expect(out.trafficErlangs).toBeCloseTo(106.667, 3);
  });

  it('bad input: exit 1 and one line naming the flag', () => {
    const r = acd('erlang', '--calls', '400', '--interval', '900', '--aht', '0');
    expect(r.status).toBe(1);
    expect(String(r.stderr).trim()).toMatch(/^acd: INVALID_INPUT: --aht: /);
  });

  it('acd staff --forecast --csv prints one row per interval and a totals row', () => {
    const r = acd('staff', '--forecast', join(import.meta.dirname, 'erlang-fixtures', 'forecast.csv'), '--csv');
    expect(r.status).toBe(0);
    const lines = String(r.stdout).trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/^total,/);
  });
});
