import { loadDir, loadForPaths } from '../../src/ivr/load.js';
import type { Flow } from '../../src/ivr/spec.js';
import { validateProject } from '../../src/ivr/validate.js';

/** The shipped hotline flow, validated as the server would load it. */
export async function hotlineFlow(): Promise<Flow> {
  const result = validateProject(await loadDir('ivr-flows'));
  const flow = [...result.flows.values()].find((f) => f.id === 'hotline');
  if (!flow) throw new Error(`hotline flow invalid: ${JSON.stringify([...result.issues.values()].flat())}`);
  return flow;
}

export async function fixtureFlows(...names: string[]): Promise<Map<string, Flow>> {
  const [check] = await loadForPaths(names.map((n) => `test/ivr/fixtures/${n}`));
  const result = validateProject(check!.sources);
  return new Map([...result.flows.values()].map((f) => [f.id, f]));
}

/** Epoch ms of a local time in Asia/Shanghai (UTC+8, no DST). */
export function shanghai(date: string, time: string): number {
  return Date.parse(`${date}T${time}:00+08:00`);
}
