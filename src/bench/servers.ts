import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HotlineError } from '../core/errors.js';

/**
 * Private telephony servers for the benchmarks and the end-to-end suites that need servers of their own: a
 * drachtio-server and FreeSWITCH instances started from the builds under a directory (default /opt/telephony: the
 * recipe in test/e2e/README.md), each on loopback ports the caller chooses, beside whatever servers others run on
 * the usual ports (5060, 9022, 8021, 5080). Each process is ours: it is ended by its own pid, never by name.
 */

export class ServerStartError extends HotlineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('SERVER_START_FAILED', message, details);
  }
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to the end (bounded), output collected. */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exit> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** A long-running process of ours (a server, SIPp, the app), output to a file, ended by reference to its own pid. */
export class Background {
  readonly exited: Promise<number | null>;
  private readonly log: WriteStream;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; waits for the exit and closes the log. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    await new Promise<void>((r) => this.log.end(() => r()));
  }

  /**
   * True once the process prints `marker` on stdout (e.g. the app's "hotline-acd started" line); false when it exits
   * first or `timeoutMs` passes.
   */
  async printed(marker: string, timeoutMs: number): Promise<boolean> {
    const out = this.child.stdout;
    let onData: ((d: Buffer) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<boolean>((r) => {
      let buf = '';
      onData = (d: Buffer): void => {
        // Keep a tail long enough for a marker split across chunks.
        buf = (buf + d.toString()).slice(-8192);
        if (buf.includes(marker)) r(true);
      };
      out?.on('data', onData);
    });
    try {
      return await Promise.race([seen, this.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
      if (onData) out?.off('data', onData);
    }
  }

  /** SIGKILL now (a crash, as the scale-out suite needs), and wait for the exit. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Where the builds are: drachtio-server, FreeSWITCH with fs_cli and its modules, libraries they may need. */
export interface TelephonyPaths {
  dir: string;
  drachtio: string;
  freeswitch: string;
  fsCli: string;
  fsMods: string;
  fsLibs: string[];
}

export function telephonyPaths(dir: string): TelephonyPaths {
  return {
    dir,
    drachtio: join(dir, 'drachtio', 'bin', 'drachtio'),
    freeswitch: join(dir, 'freeswitch', 'bin', 'freeswitch'),
    fsCli: join(dir, 'freeswitch', 'bin', 'fs_cli'),
    fsMods: join(dir, 'freeswitch', 'lib', 'freeswitch', 'mod'),
    fsLibs: [join(dir, 'deps', 'lib'), join(dir, 'freeswitch', 'lib')],
  };
}

/** Why the servers cannot be started from `p` (a build missing), or undefined. */
export function missingBuild(p: TelephonyPaths): string | undefined {
  for (const f of [p.drachtio, p.freeswitch, p.fsCli, p.fsMods]) {
    if (!existsSync(f)) return `${f} not found (drachtio-server and FreeSWITCH are expected under ${p.dir})`;
  }
  return undefined;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port, or rejects after timeoutMs. */
export async function listening(port: number, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await accepts(port)) return;
    if (Date.now() > until) throw new ServerStartError(`${what} is not listening on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((r) => {
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.destroy();
      r(true);
    });
    sock.on('error', () => r(false));
  });
}

/** Which of these loopback ports someone holds (TCP or UDP listeners), for a clear refusal before starting. */
export async function portsTaken(ports: readonly number[]): Promise<number[]> {
  const ss = await run('ss', ['-Hltun'], { timeoutMs: 5_000 });
  const ours = new Set(ports);
  const taken = ss.stdout
    .split('\n')
    .map((l) => Number(/127\.0\.0\.1:(\d+)|\*:(\d+)|0\.0\.0\.0:(\d+)/.exec(l)?.slice(1).find((x) => x !== undefined)))
    .filter((n) => ours.has(n));
  return [...new Set(taken)];
}

/** drachtio-server's `loglevel` values: at `info` it writes every SIP message it sends or receives to its log, flushed per line. */
export const DRACHTIO_LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error'] as const;
export type DrachtioLogLevel = (typeof DRACHTIO_LOG_LEVELS)[number];

/** A drachtio-server of our own: loopback, the given admin and SIP ports, its log in `dir`. */
export async function startDrachtio(
  p: TelephonyPaths,
  dir: string,
  ports: { admin: number; sip: number },
  { secret = 'cymru', logLevel = 'info' }: { secret?: string; logLevel?: DrachtioLogLevel } = {},
): Promise<Background> {
  await mkdir(dir, { recursive: true });
  const conf = join(dir, 'drachtio.conf.xml');
  await writeFile(
    conf,
    `<drachtio>
  <admin port="${ports.admin}" secret="${secret}">127.0.0.1</admin>
  <sip><contacts><contact>sip:127.0.0.1:${ports.sip};transport=udp,tcp</contact></contacts></sip>
  <cdrs>false</cdrs>
  <logging>
    <file><name>${join(dir, 'drachtio.log')}</name><archive>${join(dir, 'drachtio-archive')}</archive><size>50</size><maxFiles>2</maxFiles><auto-flush>true</auto-flush></file>
    <sofia-loglevel>3</sofia-loglevel>
    <loglevel>${logLevel}</loglevel>
  </logging>
</drachtio>
`,
  );
  const d = new Background('drachtio', spawn(p.drachtio, ['-f', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }), join(dir, 'drachtio.stdout'));
  try {
    await Promise.race([listening(ports.admin, 15_000, 'drachtio-server'), d.exited.then((c) => Promise.reject(new ServerStartError(`drachtio-server exited (${c}); see ${dir}/drachtio.stdout`)))]);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return d;
}

export interface FreeswitchPorts {
  /** Event socket (the app's control connection and fs_cli). */
  esl: number;
  /** The drachtio_mrf SIP profile fsmrf sends its INVITEs to. */
  mrf: number;
  rtpStart: number;
  rtpEnd: number;
}

export interface OverlayOptions {
  maxSessions?: number;
  sessionsPerSecond?: number;
  /** More edits of the copy (the load bench adds its baseline profile and dialplan). */
  extra?: (into: string) => Promise<void>;
}

/**
 * A copy of a FreeSWITCH configuration (the repository's freeswitch-conf/ or a copy of it) on private ports,
 * logging warnings only. Fails naming the file when a setting it must change is not there.
 */
export async function buildFsOverlay(base: string, into: string, ports: FreeswitchPorts, opts: OverlayOptions = {}): Promise<void> {
  await cp(base, into, { recursive: true });
  const edit = async (file: string, edits: [RegExp, string][]): Promise<void> => {
    const f = join(into, file);
    let t = await readFile(f, 'utf8');
    for (const [re, to] of edits) {
      if (!re.test(t)) throw new ServerStartError(`${file} of ${base} has no ${String(re)} to set`);
      t = t.replace(re, to);
    }
    await writeFile(f, t);
  };
  await edit(join('autoload_configs', 'event_socket.conf.xml'), [[/(name="listen-port" value=")\d+"/, `$1${ports.esl}"`]]);
  await edit(join('sip_profiles', 'drachtio_mrf.xml'), [[/(name="sip-port" value=")\d+"/, `$1${ports.mrf}"`]]);
  await edit(join('autoload_configs', 'switch.conf.xml'), [
    [/(name="max-sessions" value=")\d+"/, `$1${opts.maxSessions ?? 1000}"`],
    [/(name="sessions-per-second" value=")\d+"/, `$1${opts.sessionsPerSecond ?? 100}"`],
    [/(name="loglevel" value=")\w+"/, '$1warning"'],
    [/(name="rtp-start-port" value=")\d+"/, `$1${ports.rtpStart}"`],
    [/(name="rtp-end-port" value=")\d+"/, `$1${ports.rtpEnd}"`],
  ]);
  const lf = join(into, 'autoload_configs', 'logfile.conf.xml');
  if (existsSync(lf)) await writeFile(lf, (await readFile(lf, 'utf8')).replace(/value="debug,info,notice,warning,/, 'value="warning,'));
  await opts.extra?.(into);
}

/** A FreeSWITCH of our own: process handle, its event-socket port, and fs_cli against it. */
export class OwnFreeswitch {
  constructor(
    readonly proc: Background,
    readonly p: TelephonyPaths,
    readonly esl: number,
    readonly dir: string,
  ) {}

  /** fs_cli -x `command` against this server. */
  async api(command: string): Promise<string> {
    return fsApi(this.p, this.esl, command);
  }

  /** Calls up now (`show channels count`'s "N total."). */
  async channelCount(): Promise<number> {
    const out = await this.api('show channels count');
    const m = /(\d+)\s+total/.exec(out);
    if (!m) throw new ServerStartError(`unexpected 'show channels count' reply: ${out.trim().slice(0, 200)}`);
    return Number(m[1]);
  }

  /** fsctl shutdown, then SIGTERM/SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.proc.running) await this.api('fsctl shutdown').catch(() => undefined);
    await this.proc.stop(20_000);
  }
}

export async function fsApi(p: TelephonyPaths, esl: number, command: string): Promise<string> {
  const r = await run(p.fsCli, ['-H', '127.0.0.1', '-P', String(esl), '-p', 'ClueCon', '-x', command], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new ServerStartError(`fs_cli ${command}: ${(r.stdout + r.stderr).trim()}`);
  return r.stdout;
}

/**
 * FreeSWITCH's scheduling. Its default ("auto", src/switch_core.c set_realtime_priority) puts its threads in
 * SCHED_FIFO when it may (as root): each of them then runs before any ordinary process on the same cores, which on a
 * shared host leaves the app and drachtio-server the CPU only while FreeSWITCH has none to use (on the load bench the
 * app's loop shed calls at 16 calls/s this way, and at none up to 20 with `normal`). `normal` (-np) keeps it an
 * ordinary process, as it is in docker-compose (a container without CAP_SYS_NICE); its own control threads then wait
 * behind its channel threads past its limit, which the app reads as control lag and sheds on (media-slow, and the
 * admission rate limit keeps a surge from outrunning it: the 2x overload check passes so; docs/capacity.md).
 */
export type FsPriority = 'realtime' | 'normal';

/**
 * Start FreeSWITCH on `conf` (an overlay from buildFsOverlay) with its run, log and database directories under
 * `dir`; ready once `status` says so and each of `profiles` (regular expressions over `sofia status`) matches.
 */
export async function startFreeswitch(p: TelephonyPaths, dir: string, conf: string, esl: number, profiles: readonly string[], priority: FsPriority = 'realtime'): Promise<OwnFreeswitch> {
  const sub = ['log', 'db', 'run', 'tmp', 'storage', 'recordings', 'cache', 'sounds'];
  for (const d of sub) await mkdir(join(dir, d), { recursive: true });
  const args = ['-nf', '-nc', '-nonat', '-nonatmap', ...(priority === 'normal' ? ['-np'] : []), '-conf', conf, ...sub.flatMap((d) => [`-${d === 'tmp' ? 'temp' : d}`, join(dir, d)]), '-mod', p.fsMods];
  const env = { ...process.env, LD_LIBRARY_PATH: [...p.fsLibs, process.env.LD_LIBRARY_PATH ?? ''].filter(Boolean).join(':') };
  const proc = new Background('freeswitch', spawn(p.freeswitch, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }), join(dir, 'freeswitch.stdout'));
  const fs = new OwnFreeswitch(proc, p, esl, dir);
  const until = Date.now() + 60_000;
  for (;;) {
    if (!proc.running) throw new ServerStartError(`FreeSWITCH exited (${proc.child.exitCode}); see ${dir}/freeswitch.stdout and ${dir}/log`);
    const st = await fs.api('status').catch(() => '');
    if (/is ready/.test(st)) break;
    if (Date.now() > until) {
      await proc.stop();
      throw new ServerStartError(`FreeSWITCH not ready after 60 s; see ${dir}/log`);
    }
    await sleep(500);
  }
  const sofia = await fs.api('sofia status');
  for (const profile of profiles) {
    if (!new RegExp(profile).test(sofia)) {
      await fs.stop();
      throw new ServerStartError(`FreeSWITCH profile not running (${profile}):\n${sofia}`);
    }
  }
  return fs;
}

/** `sofia status`'s line of the drachtio_mrf profile on a port (the profile fsmrf sends its INVITEs to). */
export function mrfProfile(port: number): string {
  return `drachtio_mrf\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${port}\\s+RUNNING`;
}
