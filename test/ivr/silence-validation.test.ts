import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDir, wavMs } from '../../src/ivr/load.js';
import { validateProject } from '../../src/ivr/validate.js';

// Issue 9 item 21: validation warns when a flow keeps a silent caller on the line longer than the standard's script,
// from the real prompt lengths the loader reads from the WAV headers.
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function shippedCopy(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'silence-'));
  await cp('ivr-flows', dir, { recursive: true });
  return dir;
}

function silenceWarnings(result: ReturnType<typeof validateProject>): string[] {
  return [...result.issues.values()].flat().filter((i) => i.rule === 'silence-too-long').map((i) => i.message);
}

describe('silence-too-long in validation', () => {
  it('the shipped flow keeps a silent caller no longer than the standard script', async () => {
    const result = validateProject(await loadDir(await shippedCopy()));
    expect(silenceWarnings(result)).toEqual([]);
  });

  it('a menu that repeats its whole question on no input is warned, with the seconds a caller would stay', async () => {
    const d = await shippedCopy();
    const file = join(d, 'hotline.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^\s*noInputPrompt: silent-1\n/gm, ''));
    const warnings = silenceWarnings(validateProject(await loadDir(d)));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.join('\n')).toMatch(/flow node "menu": a caller who presses nothing stays \d+\.\d s after the question/);
  });

  it('reads prompt lengths from WAV headers and refuses what is not a WAV', async () => {
    expect(wavMs(await readFile('ivr-flows/prompts/zh/silent-1.wav'))).toBeGreaterThan(1000);
    expect(wavMs(Buffer.from('not a wav file at all'))).toBeUndefined();
  });
});
