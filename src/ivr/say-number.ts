import { InvalidInputError } from '../core/errors.js';
import type { Language } from './spec.js';

/**
 * Numbers and durations as sequences of recorded number prompts (ids of files under
 * `prompts/<language>/num/<id>.wav`, texts in `prompts/numbers.yaml`). The pieces are not flow prompts: a flow
 * never names them, the media channel expands a `number` play item into them.
 *
 * Mandarin reads 0..99,999 the way it is spoken: 零 once for any run of zeros between digits (一百零五,
 * 一千零五十, 一万零五百), no 一 before a leading 十 (十五, but 一百一十五), and 两 for a leading 2 before 百, 千
 * and 万 (两百, 两千, 两万, but 一千二百, 二十). Before a measure word (分钟, 秒) a bare 2 is 两 too: 两分钟.
 *
 * English follows the en-us voice the prompts use: no "and" after hundred (one hundred five), which is the US
 * reading and saves one prompt per number; tens and units are two pieces (twenty one).
 */

export const MAX_SAYABLE = 99_999;

/** Where the number pieces live, relative to a prompt directory's `<language>/`. */
export const NUMBER_PROMPT_SUBDIR = 'num';

/** Path of one number piece: `<promptDir>/<language>/num/<id>.wav`. */
export function numberPromptFile(promptDir: string, language: Language, id: string): string {
  return `${promptDir}/${language}/${NUMBER_PROMPT_SUBDIR}/${id}.wav`;
}

export interface SayOptions {
  /** The number is followed by a measure word (分钟, 秒): Mandarin says 两 for a bare 2. */
  measure?: boolean;
}

function check(n: number, field: string, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidInputError(field, `must be an integer from 0 to ${max}, got ${n}`);
}

const d = (digit: number): string => `num-${digit}`;

/** Mandarin for 1..9999; `leading` when nothing was said before it (no 万 part), so 十 drops its 一 and 2 is 两. */
function zhSection(n: number, leading: boolean): string[] {
  const out: string[] = [];
  const places: Array<[number, string]> = [
    [1000, 'num-1000'],
    [100, 'num-100'],
    [10, 'num-10'],
  ];
  let rest = n;
  let pendingZero = false;
  let said = !leading;
  for (const [place, unit] of places) {
    const digit = Math.floor(rest / place);
    rest %= place;
    if (digit === 0) {
      if (said) pendingZero = true;
      continue;
    }
    if (pendingZero) out.push(d(0));
    pendingZero = false;
    if (place === 10 && digit === 1 && !said) out.push(unit);
    else out.push(digit === 2 && !said && place >= 100 ? 'num-liang' : d(digit), unit);
    said = true;
  }
  if (rest > 0) {
    if (pendingZero) out.push(d(0));
    out.push(d(rest));
  }
  return out;
}

function zh(n: number, measure: boolean): string[] {
  if (n === 0) return [d(0)];
  if (n === 2) return [measure ? 'num-liang' : d(2)];
  const wan = Math.floor(n / 10_000);
  const low = n % 10_000;
  if (wan === 0) return zhSection(low, true);
  const out = [wan === 2 ? 'num-liang' : d(wan), 'num-10000'];
  // Said after 万, a section below a thousand starts with 零 (一万零五百, 一万零五): zhSection sees the gap.
  return low === 0 ? out : [...out, ...zhSection(low, false)];
}

function enBelow100(n: number): string[] {
  if (n < 20) return [d(n)];
  const tens = Math.floor(n / 10) * 10;
  return n % 10 === 0 ? [d(tens)] : [d(tens), d(n % 10)];
}

function enBelow1000(n: number): string[] {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const out = hundreds > 0 ? [d(hundreds), 'num-100'] : [];
  return rest > 0 ? [...out, ...enBelow100(rest)] : out;
}

function en(n: number): string[] {
  if (n === 0) return [d(0)];
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  const out = thousands > 0 ? [...enBelow100(thousands), 'num-1000'] : [];
  return rest > 0 ? [...out, ...enBelow1000(rest)] : out;
}

/** The number pieces that say `n` (an integer 0..99,999) in `language`. */
export function sayNumber(n: number, language: Language, opts: SayOptions = {}): string[] {
  check(n, 'number', MAX_SAYABLE);
  return language === 'zh' ? zh(n, opts.measure === true) : en(n);
}

/**
 * A duration in whole seconds as minutes and seconds: 3分钟20秒 / three minutes twenty seconds. Whole minutes
 * drop the seconds (5分钟), under a minute drops the minutes (45秒); zero is 零秒 / zero seconds.
 */
export function sayDuration(seconds: number, language: Language): string[] {
  check(seconds, 'seconds', MAX_SAYABLE * 60 + 59);
  const minutes = Math.floor(seconds / 60);
  const secs = seconds % 60;
  const out: string[] = [];
  const unit = (value: number, one: string): string[] => {
    const plural = language === 'en' && value !== 1 ? `${one}s` : one;
    return [...sayNumber(value, language, { measure: true }), plural];
  };
  if (minutes > 0) out.push(...unit(minutes, 'num-minute'));
  if (secs > 0 || minutes === 0) out.push(...unit(secs, 'num-second'));
  return out;
}
