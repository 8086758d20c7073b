import type { Db, Queryable } from './db.js';
import { StoreError } from './errors.js';
import { NAME_RE, requireMatch } from './validate.js';

/**
 * Make sure every named skill exists. With `createMissing` false an unknown name is refused (UNKNOWN_SKILL), so a
 * typo such as "biling" does not silently create a skill no queue routes on.
 */
export async function ensureSkills(c: Queryable, names: readonly string[], createMissing: boolean): Promise<void> {
  if (names.length === 0) return;
  const unique = [...new Set(names)];
  if (createMissing) {
    await c.query('INSERT INTO skills (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING', [unique]);
    return;
  }
  const r = await c.query<{ id: string }>('SELECT id FROM skills WHERE id = ANY($1::text[])', [unique]);
  const known = new Set(r.rows.map((x) => x.id));
  const missing = unique.filter((n) => !known.has(n));
  if (missing.length > 0) {
    const all = await c.query<{ id: string }>('SELECT id FROM skills ORDER BY id LIMIT 50');
    throw new StoreError(
      'UNKNOWN_SKILL',
      `unknown skill${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (known: ${all.rows.map((x) => x.id).join(', ') || 'none yet'}); create ${missing.length > 1 ? 'them' : 'it'} first or allow creating missing skills`,
      { missing },
    );
  }
}

export class SkillRepository {
  constructor(private readonly db: Db) {}

  async add(id: string, description?: string): Promise<void> {
    requireMatch('skill', id, NAME_RE, 'a skill name (letters, digits, _ . -)');
    await this.db.query('add skill', 'INSERT INTO skills (id, description) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET description = COALESCE(EXCLUDED.description, skills.description)', [id, description ?? null]);
  }

  async list(): Promise<string[]> {
    const r = await this.db.query<{ id: string }>('list skills', 'SELECT id FROM skills ORDER BY id');
    return r.rows.map((x) => x.id);
  }
}
