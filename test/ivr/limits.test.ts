import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { MAX_FILE_BYTES } from '../../src/ivr/load.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import { validateInline } from '../../src/ivr/validate-off-thread.js';
import { MAX_FLOW_NODES } from '../../src/ivr/validate.js';
import { FlowReloader } from '../../src/ivr/watch.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/pg.js';

const FIX = resolve('test/ivr/fixtures');
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp('/tmp/ivr-limits-');
  dirs.push(dir);
  await copyFile(join(FIX, 'queues.yaml'), join(dir, 'queues.yaml'));
  await mkdir(join(dir, 'calendars'));
  await copyFile(join(FIX, 'calendars/office.yaml'), join(dir, 'calendars/office.yaml'));
  await symlink(join(FIX, 'prompts'), join(dir, 'prompts'));
});

/** A flow of `n` menu nodes in a chain (compact, so 2,000 nodes stay under the file-size cap). */
function bigFlow(n: number): string {
  let y = 'version: 1\nid: big\nnumbers: ["5550009"]\nlanguage: zh\nstart: n0\nnodes:\n';
  for (let i = 0; i < n - 1; i++) y += `  n${i}: {type: menu, prompt: menu, options: {"1": ${i + 2 < n ? `n${i + 1}` : 'bye'}}, onNoMatch: bye}\n`;
  return `${y}  bye: {type: hangup, prompt: goodbye, disposition: completed}\n`;
}

async function issuesOf(file: string): Promise<string[]> {
  const { result } = await validateInline(dir, undefined);
  return (result.issues.get(file) ?? []).map((i) => `${i.line}:${i.column}: ${i.severity}: ${i.rule}: ${i.message}`);
}

describe('bounded flows', () => {
  it(`a flow of more than ${MAX_FLOW_NODES} nodes is refused with one clear line`, async () => {
    await writeFile(join(dir, 'big.yaml'), bigFlow(MAX_FLOW_NODES + 1));
    expect(await issuesOf(join(dir, 'big.yaml'))).toEqual([`6:1: error: too-many-nodes: flow field "nodes": ${MAX_FLOW_NODES + 1} nodes; a flow may have at most ${MAX_FLOW_NODES} (split it and use transfer: { flow })`]);
  });

  it('a file over 512 KiB is not read, with one clear line', async () => {
    await writeFile(join(dir, 'huge.yaml'), `# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
    expect(await issuesOf(join(dir, 'huge.yaml'))).toEqual([`1:1: error: file-too-large: file is ${MAX_FILE_BYTES + 3} bytes; at most ${MAX_FILE_BYTES} bytes (512 KiB) are read`]);
  });

  it('a YAML alias bomb is refused, not expanded', async () => {
    let y = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) y += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]\n`;
    await writeFile(join(dir, 'bomb.yaml'), y);
    const lines = await issuesOf(join(dir, 'bomb.yaml'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^1:1: error: syntax: Excessive alias count .* \(aliases may expand to at most 100 nodes\)$/);
  });

  it('duplicate keys are still an error, at the second key', async () => {
    await writeFile(join(dir, 'dup.yaml'), 'version: 1\nid: a\nid: b\n');
    expect(await issuesOf(join(dir, 'dup.yaml'))).toEqual(['3:1: error: syntax: Map keys must be unique']);
  });

  it(`validating a ${MAX_FLOW_NODES}-node flow runs off the event loop: timers keep firing during the reload`, async () => {
    await copyFile(join(FIX, 'good.yaml'), join(dir, 'good.yaml'));
    await writeFile(join(dir, 'big.yaml'), bigFlow(MAX_FLOW_NODES));
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, new SystemClock(), silentLogger);
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    try {
      const report = await reloader.reload();
      expect(report.setAccepted).toBe(true);
      // Let the interval run once more: a stall at the very end would otherwise go unmeasured.
      await new Promise((r) => setTimeout(r, 30));
    } finally {
      clearInterval(tick);
    }
    const took = performance.now() - t0;
    console.log(`${MAX_FLOW_NODES}-node flow: reload ${took.toFixed(0)} ms, longest event-loop stall ${worst.toFixed(0)} ms`);
    expect(registry.forNumber('5550009')!.id).toBe('big');
    // Generous for a loaded 2-core machine; validating on the event loop stalls it for seconds.
    expect(worst).toBeLessThan(250);
  });

  it('a missing flows directory is one typed error, from the worker thread too', async () => {
    const reloader = new FlowReloader(join(dir, 'nope'), new FlowRegistry(), new SystemClock(), silentLogger);
    await expect(reloader.reload()).rejects.toMatchObject({ code: 'FLOWS_DIR_NOT_FOUND', message: `flows directory ${join(dir, 'nope')}: no such directory` });
  });
});

describe('one-line errors for what a user gets wrong', () => {
  const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
  const acd = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(TSX, ['src/cli.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });

  it('acd flows schema -o into a missing directory', async () => {
    const r = await acd(['flows', 'schema', '-o', join(dir, 'no/such/dir/schema.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`acd: FLOW_OUTPUT_UNWRITABLE: ${join(dir, 'no/such/dir/schema.json')}: cannot write the schema: directory ${join(dir, 'no/such/dir')} does not exist`);
  });

  it('acd flows validate given a FIFO, a device, a dangling symlink and a good file: a line each, no hang, the good file still checked', async () => {
    await run('mkfifo', [join(dir, 'fifo.yaml')]);
    await symlink('/nonexistent', join(dir, 'dead.yaml'));
    await copyFile(join(FIX, 'good.yaml'), join(dir, 'good.yaml'));
    await writeFile(join(dir, 'bad.yaml'), 'version: 1\nid: bad\n');
    const r = await acd(['flows', 'validate', join(dir, 'fifo.yaml'), '/dev/zero', join(dir, 'dead.yaml'), join(dir, 'good.yaml'), join(dir, 'bad.yaml')]);
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split('\n');
    expect(out).toContain(`${join(dir, 'fifo.yaml')}:1:1: error: skipped: a FIFO, not a regular file`);
    expect(out).toContain('/dev/zero:1:1: error: skipped: a device, not a regular file');
    expect(out).toContain(`${join(dir, 'dead.yaml')}:1:1: error: skipped: a dangling symbolic link`);
    expect(out.some((l) => l.startsWith(`${join(dir, 'bad.yaml')}:`))).toBe(true);
    expect(out.some((l) => l.startsWith(`${join(dir, 'good.yaml')}:`))).toBe(false);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('acd serve with a missing FLOWS_DIR', async () => {
    const schema = uniqueSchema('flowsdir');
    try {
      const r = await acd(['serve'], {
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        HOTLINE_ID: schema.slice(0, 32),
        TELEPHONY_ENABLED: 'false',
        HTTP_PORT: '28089',
        FLOWS_DIR: join(dir, 'missing'),
        PG_SPOOL_DIR: join(dir, 'spool'),
        LOG_LEVEL: 'fatal',
      });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`acd: FLOWS_DIR_NOT_FOUND: flows directory ${join(dir, 'missing')}: no such directory`);
    } finally {
      await dropSchema(schema);
    }
  });
});
