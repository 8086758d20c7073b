import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/pg.js';
import { freePort, frozenServer, logLines, runCli } from './spawn.js';
import { fakeDrachtio } from '../support/drachtio.js';

// Issue 9 items 12, 14, 16, 18: what a user can get wrong at start-up ends the process with one line on stderr
// (`acd: CODE: ...`), exit 1, no stack, in bounded time; and no secret is printed.
const schema = uniqueSchema('startup');
let workDir = '';
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'acd-startup-'));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => busy.close(() => r()));
  await dropSchema(schema);
  await rm(workDir, { recursive: true, force: true });
});

async function baseEnv(): Promise<Record<string, string>> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    HOTLINE_ID: schema.slice(0, 32),
    HTTP_PORT: String(await freePort()),
    FSMRF_LISTEN_PORT: String(await freePort()),
    TELEPHONY_ENABLED: 'false',
    PG_SPOOL_DIR: join(workDir, 'spool'),
  };
}

/** The run's stderr is exactly one line starting with `acd: CODE: `; returns it. */
function oneLine(run: { code: number | null; stderr: string; stdout: string }, code: string): string {
  const lines = run.stderr.trim().split('\n').filter((l) => l !== '' && !l.startsWith('npm warn'));
  expect(lines, run.stderr + run.stdout).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^acd: ${code}: `));
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(1);
  return lines[0]!;
}

describe.concurrent('acd serve start-up errors', () => {
  it('no drachtio-server: retries visibly, then DRACHTIO_UNAVAILABLE after DRACHTIO_CONNECT_TIMEOUT_MS, exit 1 (item 12)', async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), TELEPHONY_ENABLED: 'true', DRACHTIO_PORT: '1', FREESWITCH_PORT: '2', DRACHTIO_CONNECT_TIMEOUT_MS: '1500' });
    const line = oneLine(run, 'DRACHTIO_UNAVAILABLE');
    expect(line).toBe('acd: DRACHTIO_UNAVAILABLE: cannot connect to drachtio-server at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1 (gave up after 1500 ms)');
    expect(run.stderr).not.toContain('AssertionError');
    const attempts = logLines(run.stdout).filter((l) => l.msg === 'drachtio-server not reachable yet; retrying');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0]).toMatchObject({ attempt: 1, drachtio: '127.0.0.1:1' });
  });

  it('drachtio-server up, FreeSWITCH down: MEDIA_UNAVAILABLE, the drachtio connection closed, exit 1', async () => {
    const drachtioPort = await freePort();
    const drachtio = await fakeDrachtio(drachtioPort);
    try {
      const run = await runCli(['serve'], { ...(await baseEnv()), TELEPHONY_ENABLED: 'true', DRACHTIO_PORT: String(drachtioPort), FREESWITCH_PORT: '2' });
      expect(oneLine(run, 'MEDIA_UNAVAILABLE')).toContain('FreeSWITCH at 127.0.0.1:2');
      expect(logLines(run.stdout).some((l) => l.msg === 'connected to drachtio-server')).toBe(true);
      expect(run.signal).toBeNull();
    } finally {
      await drachtio.close();
    }
  });

  it('FREESWITCH_SERVERS all down: one MEDIA_UNAVAILABLE line naming each server, exit 1', async () => {
    const drachtioPort = await freePort();
    const drachtio = await fakeDrachtio(drachtioPort);
    try {
      const run = await runCli(['serve'], { ...(await baseEnv()), TELEPHONY_ENABLED: 'true', DRACHTIO_PORT: String(drachtioPort), FREESWITCH_SERVERS: '127.0.0.1:2,s3cret@127.0.0.1:3' });
      const line = oneLine(run, 'MEDIA_UNAVAILABLE');
      expect(line).toContain('no FreeSWITCH reachable: FreeSWITCH at 127.0.0.1:2: connect ECONNREFUSED 127.0.0.1:2; FreeSWITCH at 127.0.0.1:3: connect ECONNREFUSED 127.0.0.1:3');
      expect(run.stdout + run.stderr).not.toContain('s3cret');
      expect(run.signal).toBeNull();
    } finally {
      await drachtio.close();
    }
  });

  it('HTTP port in use: LISTEN_FAILED', async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), HTTP_PORT: String(busyPort) });
    expect(oneLine(run, 'LISTEN_FAILED')).toBe(`acd: LISTEN_FAILED: cannot listen for HTTP on 127.0.0.1:${busyPort}: the port is already in use (another process listens there)`);
  });

  it("fsmrf's listener port in use: LISTEN_FAILED before anything is connected", async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), TELEPHONY_ENABLED: 'true', DRACHTIO_PORT: '1', FSMRF_LISTEN_PORT: String(busyPort) });
    expect(oneLine(run, 'LISTEN_FAILED')).toContain(`FSMRF_LISTEN_PORT) on 127.0.0.1:${busyPort}: the port is already in use`);
  });

  it('unresolvable HTTP host: LISTEN_FAILED', async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), HTTP_HOST: 'no-such-host.invalid' });
    expect(oneLine(run, 'LISTEN_FAILED')).toContain('no-such-host.invalid');
  });

  it('unresolvable Redis host: REDIS_UNAVAILABLE', async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), REDIS_URL: 'redis://no-such-host.invalid:6379' });
    expect(oneLine(run, 'REDIS_UNAVAILABLE')).toContain('ENOTFOUND no-such-host.invalid');
  });

  it('Redis unreachable: the password is not printed (item 18)', async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), REDIS_URL: 'redis://default:S3cret@127.0.0.1:1' });
    expect(oneLine(run, 'REDIS_UNAVAILABLE')).toBe('acd: REDIS_UNAVAILABLE: cannot connect to Redis at redis://default:***@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
    expect(run.stdout + run.stderr).not.toContain('S3cret');
  });

  it('malformed REDIS_URL: one config line, password not echoed', async () => {
    const run = await runCli(['serve'], { ...(await baseEnv()), REDIS_URL: 'redis://a:S3cret@[zz' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('acd serve: REDIS_URL: not a valid URL (expected redis://[user[:password]@]host[:port]/...) (got "redis://a:***@[zz")');
  });
});

describe.concurrent('a frozen PostgreSQL (accepts, never answers) fails in bounded time (item 14)', () => {
  it('acd serve: PG_UNAVAILABLE within PG_CONNECT_TIMEOUT_MS', async () => {
    const pg = await frozenServer();
    try {
      const run = await runCli(['serve'], { ...(await baseEnv()), DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.port}/test`, PG_CONNECT_TIMEOUT_MS: '1000' }, 40_000);
      expect(oneLine(run, 'PG_UNAVAILABLE')).toContain('PostgreSQL unreachable (timeout expired)');
      expect(run.signal).toBeNull();
    } finally {
      await pg.close();
    }
  });

  it('acd agents list: PG_UNAVAILABLE with the default limits', async () => {
    const pg = await frozenServer();
    try {
      const run = await runCli(['agents', 'list'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.port}/test`, LOG_LEVEL: 'silent' }, 40_000);
      expect(oneLine(run, 'PG_UNAVAILABLE')).toContain('timeout expired');
      expect(run.signal).toBeNull();
    } finally {
      await pg.close();
    }
  });
});
