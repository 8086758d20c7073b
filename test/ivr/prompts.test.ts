import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hotlineFlow } from './support.js';

/** The standard's scripts (hotline-standard.md §1–§6) and the ids the telephony side uses. */
const STANDARD = [
  'greeting',
  'agent-connected',
  'silent-1',
  'silent-goodbye',
  'transfer',
  'transfer-failed',
  'after-hours',
  'lunch-break',
  'desk-closed',
  'service-unavailable',
  'please-hold',
  'position',
  'expected-wait',
  'callback-offer',
  'survey',
  'survey-thanks',
  'anything-else',
  'goodbye',
  'late-answer',
  'late-answer-after',
];

function wavFormat(file: string): { format: number; channels: number; rate: number; bits: number; seconds: number } {
  const b = readFileSync(file);
  expect(b.toString('ascii', 0, 4)).toBe('RIFF');
  expect(b.toString('ascii', 8, 12)).toBe('WAVE');
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let data = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(off + 8), channels: b.readUInt16LE(off + 10), rate: b.readUInt32LE(off + 12), bits: b.readUInt16LE(off + 22) };
    if (id === 'data') data = size;
    off += 8 + size + (size % 2);
  }
  return { ...fmt!, seconds: data / (fmt!.rate * fmt!.channels * (fmt!.bits / 8)) };
}

describe('prompts', () => {
  it('every standard script exists in Mandarin and English, with its text beside it', async () => {
    const flow = await hotlineFlow();
    for (const id of STANDARD) {
      const def = flow.prompts.get(id);
      expect(def, id).toBeDefined();
      expect(def!.text.zh, `${id} zh`).toMatch(/\p{Script=Han}/u);
      expect(def!.text.en, `${id} en`).toMatch(/[a-z]/);
    }
    expect(flow.prompts.get('silent-goodbye')!.text.zh).toBe('很抱歉,听不到您的声音,请挂机重拨,感谢来电,再见。');
    expect(flow.prompts.get('agent-connected')!.text.zh).toBe('您好,电话已接通,请讲。');
    expect(flow.prompts.get('greeting')!.text.zh).toMatch(/^您好,.+热线,请问有什么可以帮您[?？]$/u);
  });

  it('every prompt file is an 8 kHz 16-bit mono PCM WAV that FreeSWITCH plays as is, with sound in it', async () => {
    const flow = await hotlineFlow();
    for (const lang of ['zh', 'en']) {
      const files = readdirSync(`ivr-flows/prompts/${lang}`).filter((f) => f.endsWith('.wav'));
      expect(files.length).toBe(flow.prompts.size);
      for (const f of files) {
        const w = wavFormat(`ivr-flows/prompts/${lang}/${f}`);
        expect({ f, format: w.format, channels: w.channels, rate: w.rate, bits: w.bits }).toEqual({ f, format: 1, channels: 1, rate: 8000, bits: 16 });
        expect(w.seconds, f).toBeGreaterThan(0.5);
        expect(w.seconds, f).toBeLessThan(30);
      }
    }
  });
});
