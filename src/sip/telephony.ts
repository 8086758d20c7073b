import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import Srf from 'drachtio-srf';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { HotlineError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AgentSkill, QueueDefinition } from '../acd/model.js';
import { AcdBridge } from '../call/acd-bridge.js';
import { AgentService } from '../call/agent-service.js';
import { HotlineCalls, type QueuePolicy } from '../call/hotline.js';
import type { CallDataSink } from '../ivr/channel.js';
import type { Flow } from '../ivr/spec.js';
import { queueOption } from '../ivr/queues.js';
import { defaultPromptFiles, lateWhisperFiles } from '../call/media-channel.js';
import { AcdQueueLoad } from '../call/queue-load.js';
import { erlangWaitEstimator } from '../ivr/wait.js';
import type { CallRecordSink, TransferTarget } from '../call/ports.js';
import { CallRegistry } from '../call/registry.js';
import { OverloadGuard } from '../call/overload.js';
import { MediaServerConnection } from '../media/media-server.js';
import { withTimeout } from '../media/timeout.js';
import { RedisAcdStore } from '../store/redis/acd-store.js';
import { createAuthenticator, type CredentialLookup } from './auth.js';
import { FailureLimiter } from './failure-limiter.js';
import { installInbound } from './inbound.js';
import { installRegistrar } from './registrar.js';
import { RegistrationStore } from './registrations.js';
import { SipSeatDialer } from './seat-dialer.js';

export interface TelephonyDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  redis: Redis;
  flows: { forNumber(n: string): Flow | undefined; byId(id: string): Flow | undefined; queues(): QueueDefinition[] | undefined };
  /** The agents table: HA1 for digest auth, profiles for log-in. */
  agents: CredentialLookup & { get(id: string): Promise<{ id: string; name: string; skills: AgentSkill[] } | undefined> };
  skills: () => Promise<string[]>;
  records: CallRecordSink;
  data?: CallDataSink;
}

export interface Telephony {
  /** The agent-state service, for the admin API as well. */
  agents: AgentService;
  registry: CallRegistry;
  /** Route by these queue definitions from now on (a good edit of queues.yaml). */
  configureQueues: (queues: QueueDefinition[]) => Promise<void>;
  stopAccepting: () => void;
  drain: () => Promise<void>;
  close: () => Promise<void>;
}

/** A comma list of queue ids, `*` for all, empty for none. */
export function queueList(spec: string): (queueId: string) => boolean {
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.includes('*')) return () => true;
  const set = new Set(items);
  return (q) => set.has(q);
}

/**
 * Telephony start-up: drachtio-server (SIP), FreeSWITCH (media), the ACD on Redis, the registrar, the INVITE
 * handler and the call sessions. main.ts calls this at its marked place and registers the result as a Component.
 */
export async function startTelephony(deps: TelephonyDeps): Promise<Telephony> {
  const { config, clock } = deps;
  const log = deps.logger.child({ component: 'telephony' });
  const instanceId = config.INSTANCE_ID ?? `${hostname()}-${process.pid}`;
  const timers = new Set<TimerHandle>();
  const every = (ms: number, fn: () => Promise<unknown>): void => {
    const tick = (): void => {
      const h = clock.setTimeout(() => {
        timers.delete(h);
        fn()
          .catch((err: unknown) => log.warn({ err }, 'housekeeping failed'))
          .finally(tick);
      }, ms);
      timers.add(h);
    };
    tick();
  };

  // 1. SIP: drachtio-server's admin socket.
  const srf = new Srf();
  const connected = new Promise<void>((resolveConnect, reject) => {
    srf.on('connect', () => resolveConnect());
    srf.on('error', (err: Error) => reject(err));
  });
  void srf.connect({ host: config.DRACHTIO_HOST, port: config.DRACHTIO_PORT, secret: config.DRACHTIO_SECRET });
  try {
    await withTimeout(connected, 10_000, clock, 'drachtio connect');
  } catch (e) {
    srf.disconnect();
    throw new HotlineError('DRACHTIO_UNAVAILABLE', `cannot connect to drachtio-server at ${config.DRACHTIO_HOST}:${config.DRACHTIO_PORT}`, {}, { cause: e });
  }
  srf.removeAllListeners('error');
  srf.on('error', (err: Error) => log.error({ err }, 'drachtio connection error'));
  log.info({ host: config.DRACHTIO_HOST, port: config.DRACHTIO_PORT }, 'connected to drachtio-server');

  // 2. Media: FreeSWITCH's event socket, and fsmrf's listener for its outbound connections.
  let media: MediaServerConnection;
  try {
    media = await MediaServerConnection.connect(
      srf,
      {
        host: config.FREESWITCH_HOST,
        port: config.FREESWITCH_PORT,
        secret: config.FREESWITCH_SECRET,
        listenAddress: config.FSMRF_LISTEN_ADDRESS,
        listenPort: config.FSMRF_LISTEN_PORT,
      },
      clock,
      log,
    );
  } catch (e) {
    srf.disconnect();
    throw e;
  }

  // 3. The ACD on Redis: queues from the flows, skills from the agents database; lease, tick and reap.
  const store = new RedisAcdStore({ redis: deps.redis, hotlineId: config.HOTLINE_ID, clock, leaseMs: config.LEASE_MS });
  // Also run on every good edit of queues.yaml (main.ts), so routing follows the admin's file without a restart.
  const configureQueues = async (queues: QueueDefinition[]): Promise<void> => {
    const skills = new Set(await deps.skills());
    for (const q of queues) for (const r of q.requiredSkills) skills.add(r.skill);
    await store.configure({ skills: [...skills], queues });
  };
  await configureQueues(deps.flows.queues() ?? []);
  await store.renewLease(instanceId);
  every(Math.max(500, Math.floor(config.LEASE_MS / 3)), () => Promise.resolve(store.renewLease(instanceId)));
  every(1000, async () => {
    await store.tick();
    await store.reap();
  });
  const acd = new AcdBridge(store, clock, log, { instanceId, pollMs: 100 });
  acd.start();

  // 4. Seats, security, agent state.
  const registrations = new RegistrationStore(deps.redis, config.HOTLINE_ID);
  const limiter = new FailureLimiter(clock, {
    maxFailures: config.AUTH_MAX_FAILURES,
    windowMs: config.AUTH_FAILURE_WINDOW_MS,
    blockMs: config.AUTH_BLOCK_MS,
  });
  const authenticate = createAuthenticator(deps.agents, config.SIP_DOMAIN, limiter);
  const agents = new AgentService(store, {
    profile: async (id) => {
      const a = await deps.agents.get(id);
      return a ? { id: a.id, name: a.name, skills: a.skills } : undefined;
    },
  });

  // 5. Calls.
  const overload = new OverloadGuard(clock, { minIdleCpu: config.MEDIA_MIN_IDLE_CPU, backoffMs: config.MEDIA_BACKOFF_MS });
  media.onSetupFailure(() => {
    log.warn({ backoffMs: config.MEDIA_BACKOFF_MS }, 'media set-up failed: refusing new calls for a while');
    overload.noteSetupFailure();
  });
  const registry = new CallRegistry(clock, config.MAX_CONCURRENT_CALLS, () => overload.reason(media.cpuIdle));
  const promptDir = resolve(config.FLOWS_DIR, 'prompts', 'zh');
  const p = (id: string): string => join(promptDir, `${id}.wav`);
  const policy: QueuePolicy = {
    // queues.yaml `telephony:` first; the environment lists are the default for queues that do not say.
    silentAuto: queueOption(() => deps.flows.queues(), 'silentCall', queueList(config.SILENT_CALL_QUEUES)),
    silentSec: config.SILENT_CALL_SEC,
    silentAgentKey: config.SILENT_CALL_AGENT_KEY,
    lateWhisper: queueOption(() => deps.flows.queues(), 'lateWhisper', queueList(config.LATE_WHISPER_QUEUES)),
    record: queueOption(() => deps.flows.queues(), 'record', queueList(config.RECORD_QUEUES)),
  };
  const isQueue = (id: string): boolean => (deps.flows.queues() ?? []).some((q) => q.id === id);
  const hotline = new HotlineCalls({
    session: {
      clock,
      acd,
      seats: new SipSeatDialer(srf, media, registrations, clock, log, config.SIP_DOMAIN),
      records: deps.records,
      prompts: {
        // "The caller waited 2 minutes 5 seconds, please apologise first", numbers said from the number prompts.
        lateWhisper: lateWhisperFiles(resolve(config.FLOWS_DIR, 'prompts')),
        silentHello: [p('silent-1')],
        silentGoodbye: [p('silent-goodbye')],
        transferring: [p('transfer')],
      },
      ring: { onMs: config.RING_ON_MS, offMs: config.RING_OFF_MS },
      instanceId,
      recordingsDir: resolve(config.RECORDINGS_DIR),
      transfers: {
        resolve: (target): TransferTarget | undefined =>
          isQueue(target) ? { kind: 'queue', queueId: target } : deps.flows.byId(target) ? { kind: 'flow', flowId: target } : undefined,
      },
    },
    log,
    registry,
    store,
    flows: deps.flows,
    files: defaultPromptFiles(resolve(config.FLOWS_DIR, 'prompts')),
    policy,
    // Position and expected-wait announcements: Erlang wait for the caller's position, from the agents staffing the queue.
    wait: erlangWaitEstimator(
      new AcdQueueLoad({
        store,
        queues: () => deps.flows.queues(),
        skillsOf: async (agentId) => (await deps.agents.get(agentId))?.skills,
        clock,
      }),
    ),
    ...(deps.data ? { data: deps.data } : {}),
  });

  installRegistrar(srf, {
    authenticate,
    creds: deps.agents,
    registrations,
    limiter,
    clock,
    log,
    minExpires: config.REGISTER_MIN_EXPIRES,
    maxExpires: config.REGISTER_MAX_EXPIRES,
    onRegistered: (agentId) => {
      agents.login(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'log-in on REGISTER failed'));
    },
  });
  installInbound({
    srf,
    media,
    registry,
    flows: deps.flows,
    creds: deps.agents,
    authenticate,
    limiter,
    agents,
    hotline,
    log,
    seatOutboundPattern: config.SEAT_OUTBOUND_PATTERN === '' ? undefined : new RegExp(`^(?:${config.SEAT_OUTBOUND_PATTERN})$`),
    trunkUri: config.SIP_TRUNK === '' ? undefined : config.SIP_TRUNK,
    featurePrompts: { ok: ['tone_stream://%(300,100,880)'], failed: ['tone_stream://%(150,100,400);loops=3'] },
  });
  log.info({ instanceId, queues: (deps.flows.queues() ?? []).map((q) => q.id) }, 'telephony ready');

  return {
    agents,
    registry,
    configureQueues,
    stopAccepting: () => registry.stopAccepting(),
    drain: async () => {
      const r = await registry.drain(config.SHUTDOWN_DRAIN_MS);
      log.info(r, 'calls drained');
    },
    close: () => {
      for (const t of timers) clock.clearTimeout(t);
      timers.clear();
      acd.stop();
      media.disconnect();
      srf.disconnect();
      return Promise.resolve();
    },
  };
}
