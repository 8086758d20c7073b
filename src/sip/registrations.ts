import type { Cluster, Redis } from 'ioredis';

/** One registered contact of a seat. */
export interface Registration {
  agentId: string;
  /** The Contact URI the softphone registered. */
  contact: string;
  /** Where the REGISTER came from (host:port): INVITEs go there, so seats behind NAT are reached. */
  source: string;
  transport: string;
  userAgent: string;
  expiresAt: number;
}

/**
 * Registrations in Redis with their expiry, so every app instance reaches every seat. Per agent: a sorted set of
 * contacts scored by expiry (stale ones are trimmed on read) and a hash with each contact's details. Keys carry the
 * hotline's hash tag, so they live in one cluster slot with the rest of the hotline's keys.
 */
export class RegistrationStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly hotlineId: string,
  ) {}

  private zkey(agentId: string): string {
    return `{${this.hotlineId}}:reg:${agentId}`;
  }
  private hkey(agentId: string): string {
    return `{${this.hotlineId}}:regd:${agentId}`;
  }

  async register(r: Registration, now: number): Promise<void> {
    const ttlMs = Math.max(1, r.expiresAt - now);
    await this.redis
      .multi()
      .zadd(this.zkey(r.agentId), r.expiresAt, r.contact)
      .hset(this.hkey(r.agentId), r.contact, JSON.stringify(r))
      .zremrangebyscore(this.zkey(r.agentId), '-inf', now)
      // The keys live as long as their longest-lived contact (plus a little), never forever.
      .pexpire(this.zkey(r.agentId), ttlMs + 60_000, 'GT')
      .pexpire(this.hkey(r.agentId), ttlMs + 60_000, 'GT')
      .exec();
    // PEXPIRE GT does nothing on a key without a TTL (a new key): give new keys their first TTL.
    await this.redis.multi().pexpire(this.zkey(r.agentId), ttlMs + 60_000, 'NX').pexpire(this.hkey(r.agentId), ttlMs + 60_000, 'NX').exec();
  }

  async unregister(agentId: string, contact: string): Promise<void> {
    await this.redis.multi().zrem(this.zkey(agentId), contact).hdel(this.hkey(agentId), contact).exec();
  }

  /** Unregister every contact of the agent (REGISTER with Contact: * and Expires: 0). */
  async unregisterAll(agentId: string): Promise<void> {
    await this.redis.del(this.zkey(agentId), this.hkey(agentId));
  }

  /** Until when the agent has a live registration (its longest-lived contact's expiry, epoch ms); 0 when none. */
  async liveUntil(agentId: string, now: number): Promise<number> {
    const top = await this.redis.zrevrangebyscore(this.zkey(agentId), '+inf', `(${now}`, 'WITHSCORES', 'LIMIT', 0, 1);
    return top.length >= 2 ? Number(top[1]) : 0;
  }

  /** Live contacts of an agent, the most recently refreshed (longest expiry) first. */
  async contacts(agentId: string, now: number): Promise<Registration[]> {
    const live = await this.redis.zrangebyscore(this.zkey(agentId), `(${now}`, '+inf');
    if (live.length === 0) return [];
    const details = await this.redis.hmget(this.hkey(agentId), ...live);
    const out: Registration[] = [];
    for (const d of details) {
      if (!d) continue;
      try {
        out.push(JSON.parse(d) as Registration);
      } catch {
        // A corrupt entry is skipped; the next REGISTER overwrites it.
      }
    }
    return out.sort((a, b) => b.expiresAt - a.expiresAt);
  }
}
