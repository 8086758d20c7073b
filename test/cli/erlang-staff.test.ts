import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatPlanCsv, formatPlanTable, parseForecast, planStaffing } from '../../src/cli/staff.js';
import { requiredAgents } from '../../src/erlang/index.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./erlang-fixtures/${name}`, import.meta.url)), 'utf8');

describe('acd staff --forecast', () => {
  it('plans each interval (interval length inferred from HH:MM starts) with per-row overrides', () => {
    const plan = planStaffing(parseForecast(fixture('forecast.csv'), 'forecast.csv'), 'forecast.csv', { shrinkage: 0.25 });
    expect(plan.rows.map((r) => r.start)).toEqual(['08:00', '08:15', '08:30', '08:45']);
    expect(plan.rows.every((r) => r.intervalSeconds === 900)).toBe(true);
    const [r1, r2, r3, r4] = plan.rows;
    expect(r1!.trafficErlangs).toBe(24);
    expect(r1!.requiredAgents).toBe(requiredAgents({ trafficErlangs: 24, ahtSeconds: 180 }));
    expect(r2!.requiredAgents).toBe(requiredAgents({ trafficErlangs: (250 * 200) / 900, ahtSeconds: 200, serviceLevel: 0.9 }));
    expect(r3!).toMatchObject({ requiredAgents: 0, scheduledAgents: 0, serviceLevel: 1 });
    expect(r4!.requiredAgents).toBe(requiredAgents({ trafficErlangs: (400 * 240) / 900, ahtSeconds: 240, patienceSeconds: 90 }));
    expect(r4!.abandonRate).toBeGreaterThan(0);
    expect(r1!.abandonRate).toBeUndefined();
    expect(r1!.scheduledAgents).toBe(Math.ceil(r1!.requiredAgents / 0.75));

    const t = plan.totals;
    expect(t.calls).toBe(770);
    expect(t.peakRequiredAgents).toBe(Math.max(...plan.rows.map((r) => r.requiredAgents)));
    expect(t.requiredAgentHours).toBeCloseTo(plan.rows.reduce((s, r) => s + r.requiredAgents / 4, 0), 10);
    expect(t.serviceLevel).toBeGreaterThan(0.8);
  });

  it('prints a table and a CSV with a totals row', () => {
    const plan = planStaffing(parseForecast(fixture('forecast.csv'), 'f.csv'), 'f.csv', {});
    const table = formatPlanTable(plan);
    expect(table).toMatch(/^start\s+calls/);
    expect(table).toMatch(/\ntotal\s+770/);
    expect(table).toMatch(/\npeak\s+\d+/);
    const csv = formatPlanCsv(plan).split('\n');
    expect(csv[0]).toBe('start,interval_seconds,calls,aht,traffic_erlangs,required_agents,scheduled_agents,service_level,asa_seconds,occupancy,abandon_rate');
    expect(csv).toHaveLength(6);
    expect(csv[5]!.startsWith('total,')).toBe(true);
  });

  it('errors name the file, line and column', () => {
    expect(() => planStaffing(parseForecast(fixture('bad-number.csv'), 'bad.csv'), 'bad.csv', {})).toThrow(/bad\.csv line 3, column calls: must be a number/);
    expect(() => parseForecast(fixture('bad-column.csv'), 'c.csv')).toThrow(/unknown column\(s\) handle/);
    expect(() => parseForecast('', 'e.csv')).toThrow(/e\.csv.*empty/);
    expect(() => planStaffing(parseForecast('start,calls,aht\nmorning,10,100\n', 'm.csv'), 'm.csv', {})).toThrow(/--interval/);
    expect(() => planStaffing(parseForecast('start,calls,aht\n08:00,10,-1\n', 'n.csv'), 'n.csv', { intervalSeconds: 900 })).toThrow(/n\.csv line 2, column aht/);
  });
});
