import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scenarioFromFlags } from '../../src/cli/simulate.js';
import { columnWidths } from '../../src/cli/text.js';
import { Simulation } from '../../src/sim/engine.js';
import { MAX_SIM_CALLS, MAX_SIM_HOURS } from '../../src/sim/limits.js';

/** Issue 9 item 17: input far beyond what a run can hold is refused in one line; what can be streamed is. */
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'acd-unbounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran { status: number | null; stdout: string; stderr: string; ms: number }
/** The real binary, killed after `timeoutMs` (a run that would go out of memory or never end fails the test, not the suite). */
function acd(timeoutMs: number, ...args: string[]): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - t0 }));
  });
}

function bigForecast(rows: number): string {
  const path = join(dir, `forecast-${rows}.csv`);
  const lines = ['start,calls,aht'];
  for (let i = 0; i < rows; i++) lines.push(`${String(Math.floor(i / 4) % 24).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')},${(i * 37) % 400},${120 + ((i * 13) % 300)}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('acd staff on a 200,000-row forecast', () => {
  it('the spawned command exits 0 with one line per interval', async () => {
    const r = await acd(50_000, 'staff', '--forecast', bigForecast(200_000), '--interval', '900');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200_000 + 5);
    expect(lines.at(-2)).toMatch(/^total\s/);
  });

  it('an unreadable forecast is one line', async () => {
    const r = await acd(20_000, 'staff', '--forecast', join(dir, 'missing.csv'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^acd: INVALID_INPUT: --forecast: cannot read .*missing\.csv: ENOENT/)]);
  });

  it('columnWidths takes the widest cell per column over any number of rows', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), i === 123_456 ? 'wide cell' : 'x']);
    expect(columnWidths(rows)).toEqual([6, 9]);
  });
});

describe('acd simulate refuses a run that cannot fit', () => {
  const flags = { aht: '180', agents: '24' };
  it('calls per hour × hours above the bound: SIMULATION_TOO_LARGE before anything is allocated', () => {
    const sc = scenarioFromFlags({ ...flags, callsPerHour: '1e12', hours: '1' });
    expect(() => new Simulation(sc, 1)).toThrow(expect.objectContaining({ code: 'SIMULATION_TOO_LARGE' }));
    // The bound is on the product: a rate that is fine for an hour is refused for a year and more.
    const hour = scenarioFromFlags({ ...flags, callsPerHour: '1000', hours: '1' });
    expect(() => new Simulation(hour, 1)).not.toThrow();
    const tooLong = scenarioFromFlags({ ...flags, callsPerHour: '1000', hours: String(MAX_SIM_CALLS / 1000 + 1) });
    expect(() => new Simulation(tooLong, 1)).toThrow(/calls per hour × hours/);
    const tooManyHours = scenarioFromFlags({ ...flags, callsPerHour: '0.001', hours: String(MAX_SIM_HOURS + 1) });
    expect(() => new Simulation(tooManyHours, 1)).toThrow(expect.objectContaining({ code: 'SIMULATION_TOO_LARGE' }));
  });

  it('spawned: --calls-per-hour 1e12 and --hours 1e12 exit 1 with one line, at once', async () => {
    const [rate, hours] = await Promise.all([
      acd(30_000, 'simulate', '--calls-per-hour', '1e12', '--aht', '180', '--agents', '24', '--hours', '1'),
      acd(30_000, 'simulate', '--calls-per-hour', '100', '--aht', '180', '--agents', '24', '--hours', '1e12'),
    ]);
    for (const r of [rate, hours]) {
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^acd: SIMULATION_TOO_LARGE: /);
    }
    expect(rate.stderr).toMatch(/1\.00e\+12 calls/);
    expect(hours.stderr).toMatch(/1\.00e\+12 hours/);
  });
});
