import { InvalidInputError } from '../core/errors.js';
import type { Db } from '../store/pg/db.js';
import { StoreError } from '../store/pg/errors.js';

/** Who carries out work orders (a utility, a contractor, a department): dispatched to, and accepting them. */
export interface Provider {
  id: string;
  name: string;
  contact: string | null;
  webhookUrl: string | null;
  active: boolean;
}

export interface ProviderInput {
  name: string;
  contact?: string | null | undefined;
  webhookUrl?: string | null | undefined;
  active?: boolean | undefined;
}

interface Row {
  id: string;
  name: string;
  contact: string | null;
  webhook_url: string | null;
  active: boolean;
}

const fromRow = (r: Row): Provider => ({ id: r.id, name: r.name, contact: r.contact, webhookUrl: r.webhook_url, active: r.active });
const ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export class ProviderRepository {
  constructor(private readonly db: Db) {}

  async create(id: string, p: ProviderInput): Promise<Provider> {
    if (!ID_RE.test(id)) throw new InvalidInputError('body.id', 'letters, digits, . _ or -, at most 64');
    const r = await this.db.query<Row>(
      'create provider',
      'INSERT INTO providers (id, name, contact, webhook_url, active) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [id, p.name, p.contact ?? null, p.webhookUrl ?? null, p.active ?? true],
    );
    return fromRow(r.rows[0]!);
  }

  async list(): Promise<Provider[]> {
    return (await this.db.query<Row>('list providers', 'SELECT * FROM providers ORDER BY id')).rows.map(fromRow);
  }

  async get(id: string): Promise<Provider | undefined> {
    const r = await this.db.query<Row>('get provider', 'SELECT * FROM providers WHERE id = $1', [id]);
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  /** Replace the provider's details; undefined when there is none. */
  async update(id: string, p: ProviderInput): Promise<Provider | undefined> {
    const r = await this.db.query<Row>(
      'update provider',
      'UPDATE providers SET name = $2, contact = $3, webhook_url = $4, active = COALESCE($5, active) WHERE id = $1 RETURNING *',
      [id, p.name, p.contact ?? null, p.webhookUrl ?? null, p.active ?? null],
    );
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  /**
   * Delete a provider no work order or token names; one that has history is deactivated instead (its orders keep
   * saying who had them). Resolves with what happened.
   */
  async delete(id: string): Promise<'deleted' | 'deactivated' | 'unknown'> {
    try {
      const r = await this.db.query('delete provider', 'DELETE FROM providers WHERE id = $1', [id]);
      return (r.rowCount ?? 0) > 0 ? 'deleted' : 'unknown';
    } catch (e) {
      if (!(e instanceof StoreError) || e.code !== 'CONSTRAINT') throw e;
      await this.db.query('deactivate provider', 'UPDATE providers SET active = false WHERE id = $1', [id]);
      return 'deactivated';
    }
  }
}
