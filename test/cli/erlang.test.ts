import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { computeErlang, optionsFromFlags, register } from '../../src/cli/erlang.js';
import { InvalidInputError } from '../../src/core/errors.js';

async function run(args: string[]): Promise<string> {
  const program = new Command('acd').exitOverride();
  register(program);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
  });
  try {
    await program.parseAsync(['node', 'acd', 'erlang', ...args]);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

describe('acd erlang', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--json prints the contract keys for the required agents', async () => {
    const out = JSON.parse(await run(['--calls', '100', '--interval', '1800', '--aht', '180', '--shrinkage', '0.3', '--json']));
    expect(out).toMatchObject({ trafficErlangs: 10, requiredAgents: 14, scheduledAgents: 20, agents: 14 });
    for (const k of ['probWait', 'serviceLevel', 'asaSeconds', 'occupancy']) expect(typeof out[k]).toBe('number');
    expect(out.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(out).not.toHaveProperty('abandonRate');
  });

  it('--agents (fractional) reports that staffing; --patience adds abandonRate (Erlang A)', async () => {
    const out = JSON.parse(await run(['--calls', '100', '--interval', '1800', '--aht', '180', '--agents', '12.5', '--patience', '120', '--json']));
    expect(out.agents).toBe(12.5);
    expect(out.model).toBe('erlang-a');
    expect(out.abandonRate).toBeGreaterThan(0);
    expect(out.abandonRate).toBeLessThan(0.1);
    expect(out.requiredAgents).toBeLessThanOrEqual(14);
  });

  it('every target given binds: ASA and the occupancy cap raise the requirement', () => {
    const base = { calls: 100, intervalSeconds: 1800, ahtSeconds: 180 };
    expect(computeErlang(base).requiredAgents).toBe(14);
    expect(computeErlang({ ...base, targetAsaSeconds: 2 }).requiredAgents).toBeGreaterThan(14);
    expect(computeErlang({ ...base, maxOccupancy: 0.6 }).requiredAgents).toBe(17);
    expect(computeErlang({ ...base, targetServiceLevel: 0.95, targetTimeSeconds: 10 }).requiredAgents).toBeGreaterThan(14);
  });

  it('the table is readable text with the figures', async () => {
    const out = await run(['--calls', '100', '--interval', '1800', '--aht', '180']);
    expect(out).toMatch(/traffic\s+10\.00 Erlangs/);
    expect(out).toMatch(/required agents\s+14/);
    expect(out).toMatch(/service level\s+88\.\d%/);
  });

  it('bad flags give an InvalidInputError naming the flag', async () => {
    await expect(run(['--calls', 'many', '--interval', '1800', '--aht', '180'])).rejects.toThrow(/--calls/);
    await expect(run(['--calls', '100', '--interval', '0', '--aht', '180'])).rejects.toThrow(/--interval/);
    await expect(run(['--calls', '100', '--interval', '1800', '--aht', '180', '--target-sl', '1.2'])).rejects.toThrow(/--target-sl/);
    await expect(run(['--calls', '100', '--interval', '1800', '--aht', '180', '--max-occupancy', '0'])).rejects.toThrow(/--max-occupancy/);
    await expect(run(['--calls', '100', '--interval', '1800', '--aht', '180', '--agents', '-2'])).rejects.toThrow(/--agents/);
    try {
      computeErlang(optionsFromFlags({ calls: '100', interval: '1800', aht: '180', shrinkage: '1' }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).field).toBe('--shrinkage');
    }
  });
});
