import { createHash, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../../core/errors.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';

/** provider: a work-order provider's token (it may only accept the work orders dispatched to it). */
export const API_ROLES = ['admin', 'supervisor', 'agent', 'provider'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiToken {
  id: string;
  name: string;
  role: ApiRole;
  /** Set for agent tokens: the only agent the token may act for. */
  agentId: string | null;
  /** Set for provider tokens: the provider whose work orders the token accepts. */
  providerId: string | null;
  createdAt: number;
  revokedAt: number | null;
}

interface Row {
  id: string;
  name: string;
  role: ApiRole;
  agent_id: string | null;
  provider_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const fromRow = (r: Row): ApiToken => ({
  id: String(r.id),
  name: r.name,
  role: r.role,
  agentId: r.agent_id,
  providerId: r.provider_id,
  createdAt: r.created_at.getTime(),
  revokedAt: r.revoked_at ? r.revoked_at.getTime() : null,
});

/** The stored form of a token: its SHA-256 (tokens are 256 random bits, so a plain hash is enough; no salt needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * API tokens in PostgreSQL, stored hashed. `create` returns the token once; afterwards only its hash exists, so a
 * lost token is revoked and replaced, never recovered.
 */
export class ApiTokenRepository {
  constructor(private readonly db: Db) {}

  async create(input: { name: string; role: ApiRole; agentId?: string; providerId?: string }): Promise<{ token: string; record: ApiToken }> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) throw new InvalidInputError('name', 'must be 1 to 100 characters');
    if (!API_ROLES.includes(input.role)) throw new InvalidInputError('role', `must be one of ${API_ROLES.join(', ')}`);
    if (input.role === 'agent' && !input.agentId) throw new InvalidInputError('agent', 'an agent token needs --agent <id>');
    if (input.role !== 'agent' && input.agentId) throw new InvalidInputError('agent', 'only agent tokens name an agent');
    if (input.role === 'provider' && !input.providerId) throw new InvalidInputError('provider', 'a provider token needs --provider <id>');
    if (input.role !== 'provider' && input.providerId) throw new InvalidInputError('provider', 'only provider tokens name a provider');
    if (input.providerId) {
      const p = await this.db.query('find provider for token', 'SELECT 1 FROM providers WHERE id = $1', [input.providerId]);
      if (p.rowCount === 0) throw new InvalidInputError('provider', `no provider with id ${JSON.stringify(input.providerId)}`);
    }
    if (input.agentId) {
      const a = await this.db.query('find agent for token', 'SELECT 1 FROM agents WHERE id = $1', [input.agentId]);
      if (a.rowCount === 0) throw new StoreError('UNKNOWN_AGENT', `no agent with id ${JSON.stringify(input.agentId)}`, { agentId: input.agentId });
    }
    const token = `acd_${randomBytes(32).toString('base64url')}`;
    const r = await this.db.query<Row>(
      'create api token',
      'INSERT INTO api_tokens (name, role, agent_id, provider_id, token_sha256) VALUES ($1, $2, $3, $4, $5) RETURNING id, name, role, agent_id, provider_id, created_at, revoked_at',
      [name, input.role, input.agentId ?? null, input.providerId ?? null, hashToken(token)],
    );
    return { token, record: fromRow(r.rows[0]!) };
  }

  async list(): Promise<ApiToken[]> {
    const r = await this.db.query<Row>('list api tokens', 'SELECT id, name, role, agent_id, provider_id, created_at, revoked_at FROM api_tokens ORDER BY id');
    return r.rows.map(fromRow);
  }

  /** Revoke by id; false when there is no such live token. */
  async revoke(id: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) throw new InvalidInputError('id', 'must be a token id as shown by `acd tokens list`');
    const r = await this.db.query('revoke api token', 'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    return r.rowCount === 1;
  }

  /** The live token with this hash, if any (revoked tokens are not found). */
  async findByHash(sha256: string): Promise<ApiToken | undefined> {
    const r = await this.db.query<Row>(
      'find api token',
      'SELECT id, name, role, agent_id, provider_id, created_at, revoked_at FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL',
      [sha256],
    );
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }
}
