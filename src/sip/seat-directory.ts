import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CredentialLookup } from './auth.js';

export interface SeatCredential {
  sipUsername: string;
  agentId: string;
  realm: string;
  ha1: string;
}

/** Where seat credentials come from (the agents table): every active seat at once. */
export interface SeatCredentialSource {
  credentials(): Promise<SeatCredential[]>;
}

export interface SeatDirectoryOptions {
  /** Re-read every seat this often (SEATS_REFRESH_MS). */
  refreshMs: number;
  /** An unknown REGISTER user triggers a re-read at most this often, so a flood of bogus names costs nothing. */
  unknownRefreshMinMs?: number;
  /** How long a REGISTER for an unknown user waits for that re-read before it is answered from memory. */
  unknownWaitMs?: number;
}

/**
 * The seats' digest credentials (HA1), in memory (issue 9 items 15, 22). INVITE and REGISTER authentication read
 * only this map, never PostgreSQL: an INVITE flood cannot starve the pool that call records need, and while
 * PostgreSQL is down every seat keeps the last credentials read. The map is re-read every `refreshMs`; a REGISTER
 * from a user not in it (a seat provisioned a moment ago) asks for an early re-read, throttled.
 */
export class SeatDirectory implements CredentialLookup {
  private byUsername = new Map<string, SeatCredential>();
  private timer: TimerHandle | undefined;
  private refreshing: Promise<boolean> | undefined;
  private lastUnknownRefresh = Number.NEGATIVE_INFINITY;
  private loadedAt: number | undefined;
  private closed = false;
  private readonly unknownRefreshMinMs: number;
  private readonly unknownWaitMs: number;

  constructor(
    private readonly source: SeatCredentialSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: SeatDirectoryOptions,
  ) {
    this.unknownRefreshMinMs = opts.unknownRefreshMinMs ?? 5_000;
    this.unknownWaitMs = opts.unknownWaitMs ?? 1_000;
  }

  /** First read (must succeed: start-up has just reached PostgreSQL), then the periodic refresh. */
  async start(): Promise<void> {
    this.replace(await this.source.credentials());
    this.arm();
  }

  /** Seats known now; for INVITEs (a caller's From user is usually not a seat, and must never cost a query). */
  findCredential(sipUsername: string): Promise<{ agentId: string; realm: string; ha1: string } | undefined> {
    const c = this.byUsername.get(sipUsername);
    return Promise.resolve(c ? { agentId: c.agentId, realm: c.realm, ha1: c.ha1 } : undefined);
  }

  /** For REGISTER: an unknown user waits (briefly, throttled) for a re-read, then is answered from memory. */
  readonly forRegister: CredentialLookup = {
    findCredential: async (sipUsername) => {
      if (!this.byUsername.has(sipUsername) && this.clock.now() - this.lastUnknownRefresh >= this.unknownRefreshMinMs) {
        this.lastUnknownRefresh = this.clock.now();
        let timer: TimerHandle | undefined;
        await Promise.race([
          this.refresh(),
          new Promise<void>((r) => {
            timer = this.clock.setTimeout(r, this.unknownWaitMs);
          }),
        ]);
        this.clock.clearTimeout(timer);
      }
      return this.findCredential(sipUsername);
    },
  };

  get size(): number {
    return this.byUsername.size;
  }

  /** Re-read now (one read at a time). False when PostgreSQL failed: the last credentials stay. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.source
      .credentials()
      .then(
        (list) => {
          if (!this.closed) this.replace(list);
          return true;
        },
        (err: unknown) => {
          this.log.warn({ err, seats: this.byUsername.size, since: this.loadedAt }, 'seat credentials not refreshed; the last known ones stay in use');
          return false;
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  private replace(list: SeatCredential[]): void {
    this.byUsername = new Map(list.map((c) => [c.sipUsername, c]));
    this.loadedAt = this.clock.now();
  }

  private arm(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      void this.refresh().finally(() => this.arm());
    }, this.opts.refreshMs);
  }
}
