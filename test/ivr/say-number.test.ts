import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidInputError } from '../../src/core/errors.js';
import { MAX_SAYABLE, numberPromptFile, sayDuration, sayNumber } from '../../src/ivr/say-number.js';
import type { Language } from '../../src/ivr/spec.js';

// Piece ids back to the characters / words they say, so the tables read as the spoken text.
const ZH: Record<string, string> = {
  'num-0': '零', 'num-1': '一', 'num-2': '二', 'num-3': '三', 'num-4': '四', 'num-5': '五', 'num-6': '六', 'num-7': '七', 'num-8': '八', 'num-9': '九',
  'num-10': '十', 'num-100': '百', 'num-1000': '千', 'num-10000': '万', 'num-liang': '两', 'num-minute': '分钟', 'num-second': '秒',
};
const EN_WORDS = 'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(' ');
const EN: Record<string, string> = {
  ...Object.fromEntries(EN_WORDS.map((w, i) => [`num-${i}`, w])),
  ...Object.fromEntries('twenty thirty forty fifty sixty seventy eighty ninety'.split(' ').map((w, i) => [`num-${(i + 2) * 10}`, w])),
  'num-100': 'hundred', 'num-1000': 'thousand', 'num-minute': 'minute', 'num-minutes': 'minutes', 'num-second': 'second', 'num-seconds': 'seconds',
};
const zh = (ids: string[]): string => ids.map((id) => ZH[id] ?? `<${id}>`).join('');
const en = (ids: string[]): string => ids.map((id) => EN[id] ?? `<${id}>`).join(' ');

describe('sayNumber: Mandarin', () => {
  it.each([
    [0, '零'], [1, '一'], [2, '二'], [7, '七'], [10, '十'], [11, '十一'], [15, '十五'], [19, '十九'], [20, '二十'], [22, '二十二'],
    [99, '九十九'], [100, '一百'], [101, '一百零一'], [105, '一百零五'], [110, '一百一十'], [115, '一百一十五'], [120, '一百二十'],
    [200, '两百'], [222, '两百二十二'], [250, '两百五十'], [999, '九百九十九'], [1000, '一千'], [1001, '一千零一'], [1005, '一千零五'],
    [1010, '一千零一十'], [1050, '一千零五十'], [1100, '一千一百'], [1200, '一千二百'], [1234, '一千二百三十四'], [1500, '一千五百'],
    [2000, '两千'], [2002, '两千零二'], [2020, '两千零二十'], [2222, '两千二百二十二'], [9999, '九千九百九十九'], [10_000, '一万'],
    [10_001, '一万零一'], [10_010, '一万零一十'], [10_050, '一万零五十'], [10_100, '一万零一百'], [10_500, '一万零五百'], [11_000, '一万一千'],
    [12_345, '一万二千三百四十五'], [20_000, '两万'], [20_005, '两万零五'], [22_000, '两万二千'], [30_303, '三万零三百零三'], [50_000, '五万'],
    [99_999, '九万九千九百九十九'],
  ])('%i → %s', (n, text) => {
    expect(zh(sayNumber(n, 'zh'))).toBe(text);
  });

  it('a bare 2 before a measure word is 两; other numbers do not change', () => {
    expect(zh(sayNumber(2, 'zh', { measure: true }))).toBe('两');
    expect(zh(sayNumber(12, 'zh', { measure: true }))).toBe('十二');
    expect(zh(sayNumber(22, 'zh', { measure: true }))).toBe('二十二');
    expect(zh(sayNumber(200, 'zh', { measure: true }))).toBe('两百');
  });
});

describe('sayNumber: English (US reading, no "and")', () => {
  it.each([
    [0, 'zero'], [1, 'one'], [9, 'nine'], [10, 'ten'], [13, 'thirteen'], [19, 'nineteen'], [20, 'twenty'], [21, 'twenty one'],
    [45, 'forty five'], [99, 'ninety nine'], [100, 'one hundred'], [101, 'one hundred one'], [105, 'one hundred five'],
    [110, 'one hundred ten'], [115, 'one hundred fifteen'], [999, 'nine hundred ninety nine'], [1000, 'one thousand'],
    [1001, 'one thousand one'], [1050, 'one thousand fifty'], [1100, 'one thousand one hundred'], [2020, 'two thousand twenty'],
    [10_000, 'ten thousand'], [12_345, 'twelve thousand three hundred forty five'], [20_000, 'twenty thousand'],
    [40_017, 'forty thousand seventeen'], [99_999, 'ninety nine thousand nine hundred ninety nine'],
  ])('%i → %s', (n, text) => {
    expect(en(sayNumber(n, 'en'))).toBe(text);
  });
});

describe('sayNumber: input it refuses', () => {
  it.each([[-1], [1.5], [MAX_SAYABLE + 1], [Number.NaN], [Number.POSITIVE_INFINITY]])('%s → INVALID_INPUT', (n) => {
    for (const lang of ['zh', 'en'] as const) {
      expect(() => sayNumber(n, lang)).toThrow(InvalidInputError);
    }
  });
});

describe('sayDuration', () => {
  it.each([
    [0, '零秒', 'zero seconds'],
    [1, '一秒', 'one second'],
    [2, '两秒', 'two seconds'],
    [18, '十八秒', 'eighteen seconds'],
    [45, '四十五秒', 'forty five seconds'],
    [60, '一分钟', 'one minute'],
    [61, '一分钟一秒', 'one minute one second'],
    [120, '两分钟', 'two minutes'],
    [125, '两分钟五秒', 'two minutes five seconds'],
    [200, '三分钟二十秒', 'three minutes twenty seconds'],
    [600, '十分钟', 'ten minutes'],
    [3599, '五十九分钟五十九秒', 'fifty nine minutes fifty nine seconds'],
    [3600, '六十分钟', 'sixty minutes'],
    [7322, '一百二十二分钟两秒', 'one hundred twenty two minutes two seconds'],
  ])('%i s → %s / %s', (sec, zhText, enText) => {
    expect(zh(sayDuration(sec, 'zh'))).toBe(zhText);
    expect(en(sayDuration(sec, 'en'))).toBe(enText);
  });

  it('refuses negative and fractional seconds', () => {
    expect(() => sayDuration(-5, 'zh')).toThrow(InvalidInputError);
    expect(() => sayDuration(12.5, 'en')).toThrow(InvalidInputError);
  });
});

describe('number pieces on disk', () => {
  const catalogue = (parse(readFileSync('ivr-flows/prompts/numbers.yaml', 'utf8')) as { prompts: Record<string, Partial<Record<Language, string>>> }).prompts;

  it('every piece any number or duration can use has its text in numbers.yaml and its WAV under <language>/num/', () => {
    for (const lang of ['zh', 'en'] as const) {
      const used = new Set<string>();
      for (let n = 0; n <= MAX_SAYABLE; n += n < 2100 ? 1 : 97) for (const id of sayNumber(n, lang)) used.add(id);
      for (const sec of [0, 1, 2, 60, 61, 125]) for (const id of sayDuration(sec, lang)) used.add(id);
      used.add(sayNumber(2, lang, { measure: true })[0]!);
      for (const id of used) {
        expect(catalogue[id]?.[lang], `${lang} ${id}`).toBeTruthy();
        expect(existsSync(numberPromptFile('ivr-flows/prompts', lang, id)), `${lang} ${id}`).toBe(true);
      }
      // And nothing in the catalogue is unused in that language.
      const listed = Object.entries(catalogue).filter(([, t]) => t[lang] !== undefined).map(([id]) => id);
      expect(listed.sort()).toEqual([...used].sort());
    }
  });

  it('the Mandarin texts in the catalogue are what the tables above read', () => {
    for (const [id, text] of Object.entries(ZH)) expect(catalogue[id]?.zh, id).toBe(text);
    for (const [id, text] of Object.entries(EN)) expect(catalogue[id]?.en, id).toBe(text);
  });
});
