import { randomUUID } from 'node:crypto';
import { isCluster, type RedisClient } from './client.js';
import type { Logger } from '../../core/logger.js';
import { keyPrefix } from './keys.js';

/** What this instance's call registry says to an operator's hang-up (src/call/registry.ts). */
export type LocalHangupStatus = 'accepted' | 'ended' | 'unknown';

/**
 * The answer to a hang-up sent to the instance carrying the call:
 *   accepted: the owner started the call's own cleanup path;
 *   ended: the owner no longer carries it (it already ended, or is ending);
 *   unreachable: nobody listens on the owner's channel (the instance is gone, or runs without telephony);
 *   timeout: the owner listens but did not answer within the time limit.
 */
export type HangupOutcome = 'accepted' | 'ended' | 'unreachable' | 'timeout';

export interface CallCommandHandler {
  hangup(callId: string): LocalHangupStatus | Promise<LocalHangupStatus>;
}

export interface RedisCallCommandsOptions {
  /** Used to publish; a duplicate of it subscribes (a subscribed connection can do nothing else). */
  redis: RedisClient;
  hotlineId: string;
  instanceId: string;
  /** This instance's live calls; absent on an instance without telephony (it only sends commands). */
  handler?: CallCommandHandler | undefined;
  /** Longest wait for the owner's answer (default 2.5 s: under the API's 3 s dependency limit, so ours is the answer). */
  timeoutMs?: number;
  log: Logger;
}

interface Command {
  id: string;
  op: 'hangup';
  callId: string;
  replyTo: string;
}

interface Reply {
  id: string;
  status: LocalHangupStatus;
}

/**
 * Operator commands to the instance that carries a call, over Redis pub/sub: one channel per instance for commands
 * (`acd:{hotline}:cmd:<instance>`) and one for the answers to its own requests (`...:reply:<instance>`). Only the
 * owning instance can end a call (it holds the SIP dialogs and media), so a request made on any instance is relayed
 * there, and the owner runs the call's one cleanup path. Pub/sub, not a list inbox: a command to an instance that is
 * not listening must fail at once (PUBLISH says how many received it), not wait for a reader that will never come.
 * Nothing is lost by that: a command is a request, the caller sees its outcome, and a dead owner's calls are
 * removed by the reaper anyway.
 */
export class RedisCallCommands {
  private sub: RedisClient | undefined;
  private readonly pending = new Map<string, { resolve: (o: HangupOutcome) => void; timer: NodeJS.Timeout }>();
  private readonly prefix: string;
  /**
   * On a Redis Cluster, sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): a plain PUBLISH reaches every node, but its
   * reply counts only the subscribers on the node it was sent to, so "nobody listens" could not be told. A shard
   * channel lives on the master of its slot (the hotline's hash tag), where ioredis's sharded subscriber listens.
   */
  private readonly sharded: boolean;

  constructor(private readonly opts: RedisCallCommandsOptions) {
    this.prefix = keyPrefix(opts.hotlineId);
    this.sharded = isCluster(opts.redis);
  }

  private async publish(channel: string, message: string): Promise<number> {
    return Number(await (this.sharded ? this.opts.redis.spublish(channel, message) : this.opts.redis.publish(channel, message)));
  }

  private cmdChannel(instance: string): string {
    return `${this.prefix}cmd:${instance}`;
  }

  private replyChannel(instance: string): string {
    return `${this.prefix}reply:${instance}`;
  }

  async start(): Promise<void> {
    if (this.sub) return;
    const redis = this.opts.redis;
    const sub = isCluster(redis) ? redis.duplicate([], { shardedSubscribers: true }) : redis.duplicate();
    this.sub = sub;
    // Reconnects are ioredis's business; without a listener every failed attempt would be printed.
    sub.on('error', (err: unknown) => this.opts.log.debug({ err }, 'call commands: subscriber connection error'));
    sub.on(this.sharded ? 'smessage' : 'message', (channel: string, message: string) => this.onMessage(channel, message));
    // A duplicate may start lazily or still be connecting (the offline queue may be off): wait until it is ready.
    // ioredis re-subscribes by itself after a reconnect.
    if (sub.status === 'wait') await sub.connect();
    else if (sub.status !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        sub.once('ready', () => resolve());
        sub.once('error', reject);
      });
    }
    const channels = [this.replyChannel(this.opts.instanceId)];
    if (this.opts.handler) channels.push(this.cmdChannel(this.opts.instanceId));
    await (this.sharded ? sub.ssubscribe(...channels) : sub.subscribe(...channels));
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve('timeout');
      this.pending.delete(id);
    }
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  /** Hang up `callId`, carried by `owner` (this instance or another). Never waits longer than the time limit. */
  async hangup(callId: string, owner: string): Promise<HangupOutcome> {
    const { handler, instanceId } = this.opts;
    if (owner === instanceId && handler) return local(await handler.hangup(callId));
    if (!this.sub) throw new Error('RedisCallCommands.start() was not called');
    const id = randomUUID();
    const answer = new Promise<HangupOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve('timeout');
      }, this.opts.timeoutMs ?? 2500);
      this.pending.set(id, { resolve, timer });
    });
    const cmd: Command = { id, op: 'hangup', callId, replyTo: instanceId };
    let receivers: number;
    try {
      receivers = await this.publish(this.cmdChannel(owner), JSON.stringify(cmd));
    } catch (err) {
      this.settle(id, 'timeout');
      throw err;
    }
    if (receivers === 0) this.settle(id, 'unreachable');
    return answer;
  }

  private settle(id: string, outcome: HangupOutcome): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(outcome);
  }

  private onMessage(channel: string, message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      this.opts.log.warn({ channel }, 'call command: not JSON; ignored');
      return;
    }
    if (channel === this.replyChannel(this.opts.instanceId)) {
      const r = parsed as Reply;
      this.settle(r.id, local(r.status));
      return;
    }
    this.handle(parsed as Command).catch((err: unknown) => this.opts.log.warn({ err }, 'call command failed'));
  }

  private async handle(cmd: Command): Promise<void> {
    const handler = this.opts.handler;
    if (!handler || cmd.op !== 'hangup' || typeof cmd.callId !== 'string') return;
    let status: LocalHangupStatus;
    try {
      status = await handler.hangup(cmd.callId);
    } catch (err) {
      // No answer: the requester times out rather than being told something untrue.
      this.opts.log.warn({ err, callId: cmd.callId }, 'operator hang-up failed');
      return;
    }
    this.opts.log.info({ callId: cmd.callId, status, from: cmd.replyTo }, 'operator hang-up');
    const reply: Reply = { id: cmd.id, status };
    await this.publish(this.replyChannel(cmd.replyTo), JSON.stringify(reply));
  }
}

function local(s: LocalHangupStatus): HangupOutcome {
  return s === 'accepted' ? 'accepted' : 'ended';
}
