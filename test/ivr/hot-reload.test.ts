import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock, VirtualClock } from '../../src/core/clock.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import { FlowRunner } from '../../src/ivr/runner.js';
import { ScriptedChannel, ScriptedQueue, type CallerAction } from '../../src/ivr/testing/scripted-channel.js';
import { validateInline } from '../../src/ivr/validate-off-thread.js';
import { FlowReloader, watchFlows } from '../../src/ivr/watch.js';

const FIX = resolve('test/ivr/fixtures');

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = {
    info: (_o, m) => void lines.push(`info ${m ?? ''}`),
    warn: (_o, m) => void lines.push(`warn ${m ?? ''}`),
    error: (_o, m) => void lines.push(`error ${m ?? ''}`),
    debug: () => undefined,
    child: () => logger,
  };
  return { logger, lines };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp('/tmp/ivr-reload-');
  await copyFile(join(FIX, 'queues.yaml'), join(dir, 'queues.yaml'));
  await mkdir(join(dir, 'calendars'));
  await copyFile(join(FIX, 'calendars/office.yaml'), join(dir, 'calendars/office.yaml'));
  await symlink(join(FIX, 'prompts'), join(dir, 'prompts'));
  await copyFile(join(FIX, 'good.yaml'), join(dir, 'good.yaml'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The good flow with its first prompt changed, so the two revisions are told apart by what the caller hears. */
async function editGreeting(prompt: string): Promise<void> {
  const text = await readFile(join(dir, 'good.yaml'), 'utf8');
  await writeFile(join(dir, 'good.yaml'), text.replace('hello: { type: play, prompt: hello', `hello: { type: play, prompt: ${prompt}`));
}

function startCall(registry: FlowRegistry, clock: VirtualClock, script: CallerAction[]) {
  const channel = new ScriptedChannel(clock, { script });
  const runner = new FlowRunner({
    channel,
    queue: new ScriptedQueue(clock, { outcome: 'no-agents' }),
    wait: { expectedWaitSec: () => undefined },
    sink: { save: () => undefined },
    flows: registry,
    clock,
    logger: silentLogger,
  });
  const flow = registry.forNumber('5550001')!;
  return { channel, done: runner.run(flow) };
}

describe('hot reload with keep-last-good', () => {
  it('a flow edited mid-call → the call finishes on its old revision, new calls get the new one', async () => {
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, clock, silentLogger, validateInline);
    expect((await reloader.reload()).accepted).toEqual([join(dir, 'good.yaml')]);
    const rev1 = registry.forNumber('5550001')!;
    const a = startCall(registry, clock, [{ press: '7' }, { press: '7' }, { press: '7' }]);
    await clock.advanceAsync(3000);

    await editGreeting('goodbye');
    const report = await reloader.reload();
    expect(report.accepted).toEqual([join(dir, 'good.yaml')]);
    const rev2 = registry.forNumber('5550001')!;
    expect(rev2.revision).toBeGreaterThan(rev1.revision);

    while (!a.channel.disposition) await clock.advanceAsync(1000);
    const r = await a.done;
    expect(r.revisions).toEqual([{ flowId: 'good', revision: rev1.revision }]);
    expect(a.channel.said()[0]).toBe('hello');

    const b = startCall(registry, clock, []);
    while (!b.channel.disposition) await clock.advanceAsync(1000);
    expect((await b.done).revisions).toEqual([{ flowId: 'good', revision: rev2.revision }]);
    expect(b.channel.said()[0]).toBe('goodbye');
  });

  it('an invalid change is refused with the validator messages, logged, kept as status, and the last good version keeps serving', async () => {
    const clock = new VirtualClock(1_000);
    const registry = new FlowRegistry();
    const { logger, lines } = capture();
    const reloader = new FlowReloader(dir, registry, clock, logger, validateInline);
    await reloader.reload();
    const good = registry.forNumber('5550001');
    await editGreeting('no-such-prompt');
    const report = await reloader.reload();
    const file = join(dir, 'good.yaml');
    expect(report.rejected).toEqual([file]);
    expect(registry.forNumber('5550001')).toBe(good);
    const status = registry.status().find((s) => s.file === file)!;
    const msg = `${file}:8:32: error: node "hello" field "prompt": prompt "no-such-prompt" is not defined in the flow's prompts or in prompts/prompts.yaml`;
    expect(status).toMatchObject({ state: 'rejected', servingRevision: good!.revision, flowId: 'good', checkedAt: 1_000 });
    expect(status.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.severity}: ${i.message}`)).toEqual([msg]);
    expect(lines).toContain(`error ${msg}`);
    expect(lines).toContain('error flow change refused');
    expect(lines).toContain('error flow set refused as a whole; the last good set keeps serving');

    // Undoing the edit: the text is the served revision's again, so it is served unchanged, with no new revision.
    await writeFile(file, (await readFile(file, 'utf8')).replace('no-such-prompt', 'hello'));
    expect((await reloader.reload()).unchanged).toEqual([file]);
    expect(registry.status().find((s) => s.file === file)).toMatchObject({ state: 'serving', servingRevision: good!.revision, issues: [] });
  });

  it('an unchanged file keeps its revision; a broken queues.yaml keeps the last good queues', async () => {
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, clock, silentLogger, validateInline);
    await reloader.reload();
    // A good edit that leaves queues.yaml as it was keeps the very same definitions (no needless re-sync of the stores).
    const queues = registry.queues();
    await writeFile(join(dir, 'good.yaml'), `${await readFile(join(dir, 'good.yaml'), 'utf8')}# edited\n`);
    expect((await reloader.reload()).accepted).toEqual([join(dir, 'good.yaml')]);
    expect(registry.queues()).toBe(queues);
    const rev = registry.forNumber('5550001')!.revision;
    await writeFile(join(dir, 'queues.yaml'), 'queues: [ { id: sales } ]\n');
    const report = await reloader.reload();
    expect(report.unchanged).toEqual([join(dir, 'good.yaml')]);
    expect(registry.forNumber('5550001')!.revision).toBe(rev);
    expect(registry.queues()!.map((q) => q.id)).toEqual(['sales']);
    expect(registry.status().find((s) => s.file.endsWith('queues.yaml'))).toMatchObject({
      state: 'rejected',
      issues: [expect.objectContaining({ line: 1, column: 11, message: 'queues.yaml field "queues[0]": missing required field "name"' })],
    });
  });

  it('deleting a file does not drop the call in progress; new calls no longer reach it', async () => {
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, clock, silentLogger, validateInline);
    await reloader.reload();
    const a = startCall(registry, clock, [{ press: '1' }]);
    await clock.advanceAsync(3000);
    await unlink(join(dir, 'good.yaml'));
    expect((await reloader.reload()).removed).toEqual([join(dir, 'good.yaml')]);
    expect(registry.forNumber('5550001')).toBeUndefined();
    expect(registry.status().find((s) => s.file.endsWith('good.yaml'))!.state).toBe('removed');
    while (!a.channel.disposition) await clock.advanceAsync(1000);
    const r = await a.done;
    expect(r.state.trail).toEqual(['hello', 'menu', 'q', 'bye']);
    expect(r.disposition).toBe('completed');
  });

  it('a broken file holds back the whole edit: a new file beside it does not go live, and the old set keeps serving', async () => {
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, clock, silentLogger, validateInline);
    await reloader.reload();
    await writeFile(join(dir, 'good.yaml'), 'version: 1\nnodes: {\n');
    await writeFile(join(dir, 'other.yaml'), (await readFile(join(FIX, 'good.yaml'), 'utf8')).replace('id: good', 'id: other').replace('5550001', '5550002'));
    const report = await reloader.reload();
    expect(report).toMatchObject({ setAccepted: false, rejected: [join(dir, 'good.yaml')], held: [join(dir, 'other.yaml')], accepted: [] });
    expect(registry.forNumber('5550001')!.id).toBe('good');
    expect(registry.forNumber('5550002')).toBeUndefined();
    expect(registry.status().find((s) => s.file.endsWith('other.yaml'))).toMatchObject({ state: 'held', issues: [] });
  });

  it('dropping a queue a flow routes to refuses the whole edit (queues.yaml included); the old flows and queues keep serving', async () => {
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const { logger, lines } = capture();
    const reloader = new FlowReloader(dir, registry, clock, logger, validateInline);
    await reloader.reload();
    const flow = registry.forNumber('5550001')!;
    await writeFile(join(dir, 'queues.yaml'), 'version: 1\nqueues:\n  - id: support\n    name: Support\n    requiredSkills: [{ skill: support }]\n    maxWaitSec: 300\n');
    const report = await reloader.reload();
    expect(report.setAccepted).toBe(false);
    expect(report.rejected).toEqual([join(dir, 'good.yaml')]);
    expect(report.held).toEqual([join(dir, 'queues.yaml')]);
    // Nothing of the edit is live: not the new queues, and the flow still routes to "sales", which still exists.
    expect(registry.queues()!.map((q) => q.id)).toEqual(['sales']);
    expect(registry.forNumber('5550001')).toBe(flow);
    expect(registry.status().find((s) => s.file.endsWith('queues.yaml'))!.state).toBe('held');
    expect(registry.health()).toMatchObject({ state: 'last-good', refused: [join(dir, 'good.yaml')] });
    expect(lines).toContain('error flow set refused as a whole; the last good set keeps serving');

    // The admin removes the route to the dropped queue too: now the set is whole and goes live together.
    await writeFile(join(dir, 'good.yaml'), (await readFile(join(dir, 'good.yaml'), 'utf8')).replace('queue: sales', 'queue: support'));
    const fixed = await reloader.reload();
    expect(fixed).toMatchObject({ setAccepted: true, accepted: [join(dir, 'good.yaml')] });
    expect(registry.queues()!.map((q) => q.id)).toEqual(['support']);
    expect(registry.forNumber('5550001')!.queues.has('support')).toBe(true);
    expect(registry.health().state).toBe('current');
    expect(lines).toContain('info flow set accepted again: the refused edit is fixed');
  });

  it('a calendar edit reaches the flows that use it (a new revision), even though their own text did not change', async () => {
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, clock, silentLogger, validateInline);
    await reloader.reload();
    const before = registry.forNumber('5550001')!;
    const cal = join(dir, 'calendars/office.yaml');
    await writeFile(cal, `${await readFile(cal, 'utf8')}\n# edited\n`);
    expect((await reloader.reload()).accepted).toEqual([join(dir, 'good.yaml')]);
    expect(registry.forNumber('5550001')!.revision).toBeGreaterThan(before.revision);
  });

  it('starting with every flow broken: nothing serves, and the logs and health say so (no "last good" that does not exist)', async () => {
    await writeFile(join(dir, 'good.yaml'), 'version: 1\nnodes: {\n');
    const clock = new VirtualClock(0);
    const registry = new FlowRegistry();
    const { logger, lines } = capture();
    const reloader = new FlowReloader(dir, registry, clock, logger, validateInline);
    expect((await reloader.reload()).setAccepted).toBe(false);
    expect(registry.health()).toEqual({ state: 'none-valid', refused: [join(dir, 'good.yaml')] });
    expect(lines).toContain('error flow set refused; no valid flow set has loaded yet, so no flow serves');
    expect(lines.some((l) => l.includes('last good'))).toBe(false);
    await copyFile(join(FIX, 'good.yaml'), join(dir, 'good.yaml'));
    expect((await reloader.reload()).setAccepted).toBe(true);
    expect(registry.health()).toMatchObject({ state: 'current', flows: 1 });
    expect(lines).toContain('info flow set accepted again: the refused edit is fixed');
  });

  it('the watcher reloads after a file changes on disk', async () => {
    const clock = new SystemClock();
    const registry = new FlowRegistry();
    const reloader = new FlowReloader(dir, registry, clock, silentLogger, validateInline);
    await reloader.reload();
    const before = registry.forNumber('5550001')!.revision;
    const w = watchFlows(dir, reloader, clock, silentLogger, { debounceMs: 50 });
    try {
      await editGreeting('goodbye');
      for (let i = 0; i < 100 && registry.forNumber('5550001')!.revision === before; i++) await new Promise((r) => setTimeout(r, 50));
      expect(registry.forNumber('5550001')!.revision).toBeGreaterThan(before);
    } finally {
      w.close();
    }
  });
});
