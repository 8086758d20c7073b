import { InvalidInputError } from '../../core/errors.js';
import type { AgentSkill, SkillLevel } from '../../acd/model.js';

// Checked here, before the database, so the caller gets a message naming the field rather than a constraint name.

export const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
export const SIP_USERNAME_RE = /^[A-Za-z0-9._~+-]{1,64}$/;

export function requireMatch(field: string, value: unknown, re: RegExp, what: string): string {
  if (typeof value !== 'string' || !re.test(value)) {
    throw new InvalidInputError(field, `must be ${what} (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function requireText(field: string, value: unknown, max = 200): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    throw new InvalidInputError(field, `must be non-empty text of at most ${max} characters`);
  }
  return value;
}

/**
 * Characters that do something on a terminal or break a line instead of showing: C0/C1 controls (newline, tab,
 * ESC, which starts an escape sequence, DEL, CSI) and the bidirectional overrides that make text read reversed.
 */
export const UNDISPLAYABLE_RE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Text shown to people (names in lists, wallboards, reports): requireText, and nothing a terminal would act on. */
export function requireDisplayText(field: string, value: unknown, max = 200): string {
  const text = requireText(field, value, max);
  const bad = UNDISPLAYABLE_RE.exec(text);
  if (bad) {
    const code = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new InvalidInputError(field, `must not contain control characters, terminal escapes or line breaks (found ${code} at character ${bad.index + 1})`);
  }
  return text;
}

export function requireInt(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function requireLevel(field: string, value: unknown): SkillLevel {
  return requireInt(field, value, 1, 5) as SkillLevel;
}

export function requireTime(field: string, value: unknown): Date {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(field, `must be a time in epoch milliseconds (got ${JSON.stringify(value)})`);
  }
  return new Date(value);
}

export function optionalTime(field: string, value: unknown): Date | null {
  return value === undefined || value === null ? null : requireTime(field, value);
}

export function validateSkills(skills: readonly AgentSkill[]): AgentSkill[] {
  const seen = new Set<string>();
  return skills.map((s, i) => {
    const skill = requireMatch(`skills[${i}].skill`, s.skill, NAME_RE, 'a skill name (letters, digits, _ . -)');
    if (seen.has(skill)) throw new InvalidInputError(`skills[${i}].skill`, `skill ${skill} is listed twice`);
    seen.add(skill);
    return { skill, level: requireLevel(`skills[${i}].level (${skill})`, s.level), primary: s.primary !== false };
  });
}
