import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { spawn } from 'node:child_process';
import { installLastResort, type ProcessHooks } from '../../src/logging.js';

function fakeProcess(): EventEmitter & ProcessHooks & { exits: number[] } {
  const e = new EventEmitter() as EventEmitter & ProcessHooks & { exits: number[] };
  e.exits = [];
  e.exit = (code: number) => void e.exits.push(code);
  return e;
}

function capture(): { lines: { obj: Record<string, unknown>; msg: string | undefined }[]; logger: Parameters<typeof installLastResort>[0] } {
  const lines: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const rec = (obj: unknown, msg?: string) => void lines.push({ obj: obj as Record<string, unknown>, msg });
  const logger = { info: rec, warn: rec, error: rec, debug: rec, child: () => logger };
  return { lines, logger };
}

describe('installLastResort (issue 9 item 13)', () => {
  it('logs an unhandled rejection with its error and keeps running', () => {
    const proc = fakeProcess();
    const { lines, logger } = capture();
    installLastResort(logger, proc);
    const err = new Error('floating');
    proc.emit('unhandledRejection', err);
    expect(proc.exits).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj.err).toBe(err);
    expect(lines[0]!.msg).toContain('still serving');
  });

  it('logs an uncaught exception, then exits 1', () => {
    const proc = fakeProcess();
    const { lines, logger } = capture();
    installLastResort(logger, proc);
    proc.emit('uncaughtException', new Error('thrown'));
    expect(lines[0]!.msg).toContain('uncaught exception');
    expect(proc.exits).toEqual([1]);
  });

  it('removes its handlers', () => {
    const proc = fakeProcess();
    const remove = installLastResort(capture().logger, proc);
    remove();
    expect(proc.listenerCount('unhandledRejection') + proc.listenerCount('uncaughtException')).toBe(0);
  });

  it('in a real process: a rejection is logged with its stack and the process carries on', async () => {
    const script = [
      `import { installLastResort, createLogger } from './src/logging.ts';`,
      `installLastResort(createLogger('info'));`,
      `void Promise.reject(new Error('nobody awaits me'));`,
      `setTimeout(() => { console.log('STILL-ALIVE'); }, 200);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    const logged = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { err?: { message: string; stack: string } });
    expect(logged[0]?.err?.message).toBe('nobody awaits me');
    expect(logged[0]?.err?.stack).toContain('Error: nobody awaits me');
    expect(out).toContain('STILL-ALIVE');
  });
});
