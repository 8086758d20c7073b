import { z } from 'zod';
import { parseDeadlineDays } from '../callbacks/deadline.js';
import { parseRatings } from '../reviews/rules.js';
import { parseServerList } from './media-servers.js';
import { DEFAULT_CATEGORIES, parseCategories } from '../workflow/work-order-rules.js';

/**
 * Every environment variable the server reads, with its default. Defaults bind to loopback so nothing is open to
 * the world unless the operator says so. Add a variable here (with a comment) rather than reading process.env
 * anywhere else.
 */
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
/** A URL of one of `schemes` that `new URL` accepts and that names a host (caught here, not as a stack at connect). */
const url = (schemes: string[], def: string) =>
  z
    .string()
    .default(def)
    .superRefine((v, ctx) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `not a valid URL (expected ${schemes[0]}://[user[:password]@]host[:port]/...)` });
        return;
      }
      if (!schemes.includes(u.protocol.slice(0, -1))) ctx.addIssue({ code: 'custom', message: `must start with ${schemes.map((s) => `${s}://`).join(' or ')}` });
      else if (u.hostname === '') ctx.addIssue({ code: 'custom', message: 'names no host' });
    });
/** `host:port[,host:port...]` (Redis Cluster seed nodes, Sentinels): empty means unused. */
const hostPorts = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const out: { host: string; port: number }[] = [];
      for (const item of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
        const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(item);
        const port = m ? Number(m[2]) : 0;
        if (!m || port < 1 || port > 65535) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port (list them as host:port,host:port)` });
          return z.NEVER;
        }
        out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
      }
      return out.length > 0 ? out : undefined;
    });
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envSchema = z.object({
  // Identity of this hotline: also the Redis hash tag, so one hotline's keys live in one cluster slot.
  HOTLINE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32').default('hotline'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: url(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  // High availability (docs/redis-topology.md). A Redis Cluster: some of its nodes to start from (host:port list;
  // the others are discovered). Or Sentinel: the Sentinels (host:port list) and the master group they watch. Either
  // way REDIS_URL still gives the user, password and TLS (rediss://) of the data nodes; its host is then unused.
  REDIS_CLUSTER_NODES: hostPorts(),
  REDIS_SENTINELS: hostPorts(),
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ or -').default('mymaster'),
  DATABASE_URL: url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/hotline'),
  // Time limits on PostgreSQL (issue 9 item 14): a frozen server fails start-up and queries with PG_UNAVAILABLE
  // instead of hanging. Connecting; a statement on the server; a query's answer on the client side.
  PG_CONNECT_TIMEOUT_MS: int(5_000, 100),
  PG_STATEMENT_TIMEOUT_MS: int(10_000, 100),
  PG_QUERY_TIMEOUT_MS: int(15_000, 100),
  // PostgreSQL schema holding this hotline's tables (migrations create it); tests give each run its own.
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits or _, at most 63').default('public'),
  // Where call records wait (JSON lines) while PostgreSQL is unreachable; replayed when it is back.
  PG_SPOOL_DIR: z.string().min(1).default('spool'),

  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: int(8080, 1).pipe(z.number().max(65535)),

  DRACHTIO_HOST: z.string().default('127.0.0.1'),
  DRACHTIO_PORT: int(9022, 1).pipe(z.number().max(65535)),
  DRACHTIO_SECRET: z.string().min(1).default('cymru'),
  // How long `acd serve` keeps retrying drachtio-server (logging each attempt) before it exits with DRACHTIO_UNAVAILABLE.
  DRACHTIO_CONNECT_TIMEOUT_MS: int(10_000, 100),
  FREESWITCH_HOST: z.string().default('127.0.0.1'),
  FREESWITCH_PORT: int(8021, 1).pipe(z.number().max(65535)),
  FREESWITCH_SECRET: z.string().min(1).default('ClueCon'),
  // Several media servers (issue 12): comma-separated `[secret@]host:port` (secret default FREESWITCH_SECRET). New
  // calls go to the least-loaded healthy one; a call's legs stay on one. Empty: FREESWITCH_HOST:FREESWITCH_PORT alone.
  FREESWITCH_SERVERS: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      try {
        parseServerList(v, 'x');
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
      }
    }),
  // A media server whose last HEARTBEAT event (switch.conf event-heartbeat-interval, 2 s in freeswitch-conf/) is
  // older than this — or than 2.5 observed intervals, if longer — is taken out of service until it answers again.
  MEDIA_HEARTBEAT_STALE_MS: int(5_000, 500),
  // fsmrf opens an event-socket listener inside this process for outbound ESL connections from FreeSWITCH, one per
  // media server: server i of FREESWITCH_SERVERS listens on FSMRF_LISTEN_PORT + i.
  FSMRF_LISTEN_ADDRESS: z.string().default('127.0.0.1'),
  FSMRF_LISTEN_PORT: int(8085, 1).pipe(z.number().max(65535)),
  // How callers' and seats' FreeSWITCH channels are driven: `socket`, each through its own event socket (fsmrf's
  // endpoints); `shared`, parked by the drachtio_mrf dialplan's hotline_parked extension and driven over the one
  // inbound socket (no FreeSWITCH thread per channel; needs freeswitch-conf of this version). docs/capacity.md.
  MEDIA_CONTROL: z.enum(['socket', 'shared']).default('shared'),
  SIP_DOMAIN: z.string().min(1).default('hotline.local'),
  // Seconds between in-dialog OPTIONS on every answered dialog (0 = never). A phone that loses its network or
  // crashes sends no BYE, and once a call's media is released from FreeSWITCH nothing else would notice: the call
  // would never end and its agent would stay on-call. 408/481/no answer ends the dialog as if it had hung up.
  SIP_KEEPALIVE_SEC: int(30, 0),
  // Start the SIP/media side at all; off lets the API + ACD run without drachtio/FreeSWITCH (tests, tools).
  TELEPHONY_ENABLED: bool(true),

  FLOWS_DIR: z.string().min(1).default('ivr-flows'),
  RECORDINGS_DIR: z.string().min(1).default('recordings'),

  // China's ring-back cadence is 1 s on, 4 s off. How many rings a seat gets is per queue (answerRings in
  // ivr-flows/queues.yaml, default 3 as the standard says); the hotline's name and time zone live in its flow and calendar.
  RING_ON_MS: int(1000, 1),
  RING_OFF_MS: int(4000, 0),
  // Reservation leases: an instance that stops renewing frees its agents within this time.
  LEASE_MS: int(10_000, 500),
  SHUTDOWN_DRAIN_MS: int(30_000, 0),
  // Live KPIs (issue 10): the sliding window they count over, in seconds (a whole number of minutes, up to a day).
  KPI_WINDOW_SEC: int(3600, 60).pipe(z.number().max(86_400)),
  // Shed load with 503 above this many live calls, before FreeSWITCH saturates.
  MAX_CONCURRENT_CALLS: int(200, 1),
  // Admission control below that cap (src/call/admission.ts), from the live signs that FreeSWITCH is saturating,
  // whatever the machine. Its heartbeat's idle CPU (percent): at or above MEDIA_SOFT_IDLE_CPU every new call is
  // taken, at or below MEDIA_MIN_IDLE_CPU none (0 = the CPU signal is off), in between a proportional share.
  MEDIA_MIN_IDLE_CPU: int(10, 0).pipe(z.number().max(100)),
  MEDIA_SOFT_IDLE_CPU: int(25, 0).pipe(z.number().max(100)),
  // Media set-ups in flight are limited by AIMD: a set-up slower than SETUP_LATENCY_TARGET_MS (ms) or failed
  // shrinks the limit by 10 %, a quick one grows it by one, up to SETUP_LIMIT_MAX.
  SETUP_LATENCY_TARGET_MS: int(500, 1),
  SETUP_LIMIT_MAX: int(50, 1),
  // The app's own event loop (utilisation 0..1 over the last half second): at or below APP_LOOP_BUSY_SOFT every new
  // call is taken, at or above APP_LOOP_BUSY_MAX none (0 = the signal is off), in between a proportional share.
  // A saturated loop answers every SIP message late, its 503s included. On the 2-core load bench (app, FreeSWITCH,
  // drachtio and SIPp sharing the cores) 0.8/0.95 shed at 24 calls/s what the app carried without the signal;
  // 0.9/0.98 still refused within 100 ms at twice the sustainable rate (test/e2e/load/README.md).
  APP_LOOP_BUSY_SOFT: z.coerce.number().min(0).max(1).default(0.9),
  APP_LOOP_BUSY_MAX: z.coerce.number().min(0).max(1).default(0.98),
  // Each media server's event socket is pinged every MEDIA_PING_MS (0 = never) and the answer timed: its control
  // lag. At or below MEDIA_LAG_SOFT_MS every new call is taken, at or above MEDIA_LAG_MAX_MS none (0 = the signal
  // is off), in between a proportional share; a ping still out counts with its age. src/call/admission.ts.
  MEDIA_PING_MS: int(500, 0),
  MEDIA_LAG_SOFT_MS: int(250, 0),
  MEDIA_LAG_MAX_MS: int(1500, 0),
  // How fast admission may grow (calls/s): each second at most 1.5 % more calls than the second before (plus a
  // quarter), never fewer than ADMIT_RATE_FLOOR (0 = no rate limit). Every overload signal trails a call's load by
  // about ten seconds; the rate limit keeps a surge from coming in faster than they can follow. admission.ts.
  ADMIT_RATE_FLOOR: int(10, 0),
  // With several media servers (FREESWITCH_SERVERS): after a set-up failed or timed out on one, new calls go to the
  // others for this long (ms; 0 = never); that server still takes calls when no other is in service.
  MEDIA_BACKOFF_MS: int(5_000, 0),

  // Telephony (issue 5). This instance's name in the ACD (offers for its calls reach it); default: host name + pid.
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ or -').optional(),
  // Seat registrations: allowed expiry range (s). Shorter asks get 423 with Min-Expires; longer are cut down.
  REGISTER_MIN_EXPIRES: int(60, 1),
  REGISTER_MAX_EXPIRES: int(3600, 1),
  // Authentication failures (403s) from one address within the window block it for AUTH_BLOCK_MS.
  AUTH_MAX_FAILURES: int(5, 1),
  AUTH_FAILURE_WINDOW_MS: int(60_000, 1000),
  AUTH_BLOCK_MS: int(600_000, 1000),
  // Seat credentials (HA1) are kept in memory and re-read from PostgreSQL this often, so no INVITE or REGISTER waits
  // on PostgreSQL and an outage keeps the last known credentials (issue 9 items 15, 22).
  SEATS_REFRESH_MS: int(30_000, 1000),
  // No toll fraud: seats may dial outside numbers only when they match this regular expression (empty: never)
  // and only through this trunk (host[:port]).
  SEAT_OUTBOUND_PATTERN: z.string().default('').refine((v) => { try { new RegExp(v); return true; } catch { return false; } }, 'not a regular expression'),
  SIP_TRUNK: z.string().default(''),
  // The silent-call script on the agent leg (standard §2): queues where it starts by itself (comma list, * = all,
  // none = no queue; an empty variable means the default), its seconds of silence, and the DTMF key an agent presses to start it.
  SILENT_CALL_QUEUES: z.string().default('*'),
  SILENT_CALL_SEC: int(5, 1),
  SILENT_CALL_AGENT_KEY: z.string().regex(/^[0-9*#]$/, 'one DTMF key').default('*'),
  // Queues whose late answers (caller waited past the answer window) get the whisper; queues recorded to
  // RECORDINGS_DIR (same list syntax).
  LATE_WHISPER_QUEUES: z.string().default('*'),
  RECORD_QUEUES: z.string().default(''),
  // Queues whose talk leaves FreeSWITCH (media release: caller and seat re-INVITEd to each other) where neither
  // recording nor the silent-call script is on for them (same list syntax).
  MEDIA_RELEASE_QUEUES: z.string().default(''),

  // Peak-load emergency plan (standard §5), hotline-wide defaults; a queue may override them in queues.yaml
  // `peakPlan:`. Level 1 at PLAN_LEVEL1_WAITING callers waiting sustained PLAN_SUSTAIN_SEC, level 2 at
  // PLAN_LEVEL2_WAITING; a level stands down once waiting <= its CLEAR value (default 3/4 of the threshold) for
  // PLAN_STAND_DOWN_SEC; a dip shorter than PLAN_DIP_SEC does not restart a window. Cross-checked in loadConfig.
  PLAN_LEVEL1_WAITING: int(8, 1),
  PLAN_LEVEL2_WAITING: int(16, 2),
  PLAN_LEVEL1_CLEAR_WAITING: z.coerce.number().int().min(0).optional(),
  PLAN_LEVEL2_CLEAR_WAITING: z.coerce.number().int().min(0).optional(),
  PLAN_SUSTAIN_SEC: int(1800, 0),
  PLAN_STAND_DOWN_SEC: int(600, 0),
  PLAN_DIP_SEC: int(120, 0),
  // Seats that may work callbacks at once while a campaign (planned peak) runs (the standard: 2).
  PLAN_CAMPAIGN_CALLBACK_SEATS: int(2, 0),
  // How often the plan is evaluated (one instance per tick, whichever takes the lock).
  PLAN_EVAL_MS: int(1000, 100),
  // Callbacks (issue 11 §3). Deadlines in working days per reason on CALLBACK_CALENDAR (a calendar of FLOWS_DIR),
  // overriding the standard's defaults (after-hours=5, long-wait/desk-closed/return-visit/complaint/abandoned=1).
  CALLBACK_CALENDAR: z.string().min(1).default('hotline'),
  CALLBACK_DEADLINE_DAYS: z.string().default('').refine((v) => { try { parseDeadlineDays(v); return true; } catch { return false; } }, 'reason=days[,reason=days] with days 1..30'),
  // Seats on callbacks at once across all instances (the peak plan may lower it; 0: callbacks are never dialled).
  CALLBACK_MAX_SEATS: int(2, 0),
  // Dials per task that reach the customer side before it fails, and the gap between them (then the next opening).
  CALLBACK_MAX_ATTEMPTS: int(3, 1),
  CALLBACK_RETRY_MS: int(30 * 60_000, 1000),
  // How long the customer's phone rings before the dial counts as no-answer.
  CALLBACK_CUSTOMER_RING_SEC: int(30, 5),
  // How often due tasks are looked for, and the lease of a claim / seat slot (a dead instance's task is retried after it).
  CALLBACK_SWEEP_MS: int(5_000, 200),
  CALLBACK_LEASE_MS: int(60_000, 1000),
  // Abandoned calls: queues whose callers who hung up after waiting at least this long get a task (list syntax as above).
  CALLBACK_ABANDONED_QUEUES: z.string().default('*'),
  CALLBACK_ABANDONED_MIN_WAIT_SEC: int(20, 0),
  // Satisfaction review (standard §6): the stored survey ratings that mean "dissatisfied" (comma list of digits; the
  // shipped survey says 1 satisfied, 2 average, 3 dissatisfied), the lead's deadline from the rating (minutes, wall
  // clock), and how often each instance sweeps for overdue reviews.
  REVIEW_DISSATISFIED_RATINGS: z.string().default('3').transform((v, ctx) => {
    try {
      return parseRatings(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }),
  REVIEW_DUE_MINUTES: int(120, 1),
  REVIEW_SWEEP_MS: int(15_000, 1000),
  // Work orders (standard §7, src/workflow): categories as `id[+field...]` (the fields each category requires beyond
  // callerName, contactNumber and need; `complaint` is always one), the minutes a provider has to accept a dispatched
  // order before it is escalated (§3: 30), the calendar of complaint deadlines (ivr-flows/calendars/<id>.yaml), and
  // how often every instance sweeps the deadlines.
  WORK_ORDER_CATEGORIES: z
    .string()
    .default(DEFAULT_CATEGORIES)
    .superRefine((v, ctx) => {
      try {
        parseCategories(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message.replace(/^WORK_ORDER_CATEGORIES: /, '') : String(e) });
      }
    }),
  WORK_ORDER_ACCEPT_MINUTES: int(30, 1).pipe(z.number().max(10_080)),
  WORK_ORDER_CALENDAR: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a calendar id').default('hotline'),
  WORK_ORDER_SWEEP_MS: int(5_000, 100),
});

export type Env = z.infer<typeof envSchema>;
