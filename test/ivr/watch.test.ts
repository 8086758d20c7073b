import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import { FlowReloader, watchFlows } from '../../src/ivr/watch.js';

const FIX = resolve('test/ivr/fixtures');
const run = promisify(execFile);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp('/tmp/ivr-watch-');
  await copyFile(join(FIX, 'queues.yaml'), join(dir, 'queues.yaml'));
  await mkdir(join(dir, 'calendars'));
  await copyFile(join(FIX, 'calendars/office.yaml'), join(dir, 'calendars/office.yaml'));
  await symlink(join(FIX, 'prompts'), join(dir, 'prompts'));
  await copyFile(join(FIX, 'good.yaml'), join(dir, 'good.yaml'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds (or fails after `ms`). */
async function until(ok: () => boolean, ms = 8_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (ok()) return;
  expect(ok(), 'condition not reached in time').toBe(true);
}

describe('watchFlows survives how editors and admins change files', () => {
  it('in-place writes, rename-replace (sed -i, vim), delete and re-create, in a subdirectory too: every edit is applied; lock files cause no reload', async () => {
    const clock = new SystemClock();
    const registry = new FlowRegistry();
    // The production path: validation in the worker thread.
    const reloader = new FlowReloader(dir, registry, clock, silentLogger);
    await reloader.reload();
    const file = join(dir, 'good.yaml');
    const w = watchFlows(dir, reloader, clock, silentLogger, { debounceMs: 50, sweepMs: 500 });
    const greeting = () => registry.forNumber('5550001')?.nodes.hello?.type === 'play' ? (registry.forNumber('5550001')!.nodes.hello as unknown as { prompt: string }).prompt : undefined;
    const setGreeting = async (how: string, from: string, to: string) => {
      if (how === 'sed') await run('sed', ['-i', `s/prompt: ${from}, next: menu/prompt: ${to}, next: menu/`, file]);
      else if (how === 'rename') {
        // vim's way: write a new file beside it, rename it over the old one.
        const text = (await readFile(file, 'utf8')).replace(`prompt: ${from}, next: menu`, `prompt: ${to}, next: menu`);
        await writeFile(join(dir, '.good.yaml.swp'), 'lock');
        await writeFile(join(dir, '4913'), '');
        await unlink(join(dir, '4913'));
        await writeFile(`${file}.tmp~`, text);
        await rename(`${file}.tmp~`, file);
        await unlink(join(dir, '.good.yaml.swp'));
      } else await writeFile(file, (await readFile(file, 'utf8')).replace(`prompt: ${from}, next: menu`, `prompt: ${to}, next: menu`));
    };
    try {
      let applied = 0;
      const edits = ['sed', 'write', 'rename', 'sed', 'rename', 'write', 'sed', 'rename'];
      let current = 'hello';
      for (const [n, how] of edits.entries()) {
        const next = current === 'hello' ? 'goodbye' : 'hello';
        await setGreeting(how, current, next);
        current = next;
        await until(() => greeting() === next).then(() => applied++, () => console.log('missed', n, how, greeting()));
        if (n === 3) {
          // Delete and re-create.
          await unlink(file);
          await until(() => registry.forNumber('5550001') === undefined);
          await writeFile(file, (await readFile(join(FIX, 'good.yaml'), 'utf8')).replace('prompt: hello, next: menu', `prompt: ${current}, next: menu`));
          await until(() => greeting() === current);
        }
      }
      expect(`${applied} of ${edits.length} edits applied`).toBe(`${edits.length} of ${edits.length} edits applied`);

      // A calendar replaced by rename in calendars/ is noticed too (a new revision of the flow that uses it).
      const rev = registry.forNumber('5550001')!.revision;
      const cal = join(dir, 'calendars/office.yaml');
      await writeFile(`${cal}.new`, `${await readFile(cal, 'utf8')}# edited\n`);
      await rename(`${cal}.new`, cal);
      await until(() => registry.forNumber('5550001')!.revision > rev);

      // An emacs lock file (a dangling symlink named .#good.yaml) and a vim swap file cause no reload at all.
      const settled = registry.forNumber('5550001')!.revision;
      const statuses = registry.status().length;
      await symlink('user@host.1234:1700000000', join(dir, '.#good.yaml'));
      await writeFile(join(dir, '.good.yaml.swp'), 'x');
      await writeFile(join(dir, 'good.yaml~'), 'x');
      await sleep(1_200);
      expect(registry.forNumber('5550001')!.revision).toBe(settled);
      expect(registry.status()).toHaveLength(statuses);
    } finally {
      w.close();
    }
  });

  it('a FIFO, a dangling symlink and a symlink loop in the directory: skipped with a warning each, the reload finishes, the flows keep serving', async () => {
    const clock = new SystemClock();
    const registry = new FlowRegistry();
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (o, m) => void lines.push(`warn ${m ?? ''}`), error: (o, m) => void lines.push(`error ${m ?? ''}`), child: () => logger };
    const reloader = new FlowReloader(dir, registry, clock, logger);
    await reloader.reload();
    await run('mkfifo', [join(dir, 'calendars/fifo.yaml')]);
    await symlink('/nonexistent', join(dir, 'dead.yaml'));
    await symlink(join(dir, 'loop.yaml'), join(dir, 'loop.yaml'));
    await symlink(join(dir, 'good.yaml'), join(dir, 'alias.yaml'));
    const report = await Promise.race([reloader.reload(), sleep(10_000).then(() => 'hung' as const)]);
    expect(report).not.toBe('hung');
    // A symlink to a regular file is read (so it is a second flow answering the same number: refused, as it should be).
    expect(report).toMatchObject({ setAccepted: false, rejected: [expect.stringMatching(/(alias|good)\.yaml$/)] });
    await unlink(join(dir, 'alias.yaml'));
    const ok = await reloader.reload();
    expect(ok.setAccepted).toBe(true);
    expect(registry.forNumber('5550001')!.id).toBe('good');
    const byFile = new Map(registry.status().map((s) => [s.file, s]));
    expect(byFile.get(join(dir, 'calendars/fifo.yaml'))!.issues[0]).toMatchObject({ severity: 'warning', rule: 'not-a-file', message: 'skipped: a FIFO, not a regular file' });
    expect(byFile.get(join(dir, 'dead.yaml'))!.issues[0]!.message).toBe('skipped: a dangling symbolic link');
    expect(byFile.get(join(dir, 'loop.yaml'))!.issues[0]!.message).toBe('skipped: a symbolic link loop');
    expect(lines).toContain(`warn ${join(dir, 'calendars/fifo.yaml')}:1:1: warning: skipped: a FIFO, not a regular file`);
  });

  it('the flows directory vanishing and coming back: the failed reload is logged (no unhandled rejection), the old set serves, and the return is picked up', async () => {
    const clock = new SystemClock();
    const registry = new FlowRegistry();
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, error: (o, m) => void lines.push(`error ${m ?? ''} ${String((o as { err?: { code?: string } }).err?.code ?? '')}`), child: () => logger };
    const reloader = new FlowReloader(dir, registry, clock, logger);
    await reloader.reload();
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => void rejections.push(e);
    process.on('unhandledRejection', onRejection);
    const w = watchFlows(dir, reloader, clock, logger, { debounceMs: 50, sweepMs: 300 });
    try {
      const saved = `${dir}-saved`;
      await rename(dir, saved);
      await until(() => lines.includes('error flow reload failed; the last good set keeps serving FLOWS_DIR_NOT_FOUND'));
      expect(registry.forNumber('5550001')!.id).toBe('good');
      await writeFile(join(saved, 'good.yaml'), (await readFile(join(saved, 'good.yaml'), 'utf8')).replace('prompt: hello, next: menu', 'prompt: goodbye, next: menu'));
      await rename(saved, dir);
      await until(() => (registry.forNumber('5550001')!.nodes.hello as unknown as { prompt: string }).prompt === 'goodbye');
      expect(rejections).toEqual([]);
    } finally {
      w.close();
      process.off('unhandledRejection', onRejection);
    }
  });
});
