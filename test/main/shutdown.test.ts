import { describe, expect, it } from 'vitest';
import { stopComponents, type Component } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';

function component(name: string, log: string[], drain?: () => Promise<void>): Component {
  return {
    name,
    stopAccepting: () => void log.push(`${name}:stop`),
    ...(drain ? { drain } : {}),
    close: () => {
      log.push(`${name}:close`);
      return Promise.resolve();
    },
  };
}

const never = new Promise<void>(() => undefined);

describe('stopComponents', () => {
  it('stops intake everywhere, waits for the drain, then closes in reverse start order', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const drained = new Promise<void>((r) => (finish = r));
    const calls = component('telephony', log, async () => {
      await drained;
      log.push('telephony:drained');
    });
    const done = stopComponents([component('postgres', log), component('redis', log), calls, component('http', log)], 60_000, never, silentLogger);
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['postgres:stop', 'redis:stop', 'telephony:stop', 'http:stop']);
    finish();
    await done;
    expect(log.slice(4)).toEqual(['telephony:drained', 'http:close', 'telephony:close', 'redis:close', 'postgres:close']);
  });

  it('closes anyway when the drain outlasts its limit, and when a second signal cuts it short', async () => {
    const log: string[] = [];
    await stopComponents([component('postgres', log), component('telephony', log, () => never)], 20, never, silentLogger);
    expect(log).toEqual(['postgres:stop', 'telephony:stop', 'telephony:close', 'postgres:close']);

    const log2: string[] = [];
    let cut!: () => void;
    const cutP = new Promise<void>((r) => (cut = r));
    const done = stopComponents([component('telephony', log2, () => never)], 60_000, cutP, silentLogger);
    cut();
    await done;
    expect(log2).toEqual(['telephony:stop', 'telephony:close']);
  });

  it('keeps closing the others when one close fails', async () => {
    const log: string[] = [];
    const broken: Component = { name: 'broken', close: () => Promise.reject(new Error('boom')) };
    await stopComponents([component('postgres', log), broken, component('http', log)], 10, never, silentLogger);
    expect(log).toEqual(['postgres:stop', 'http:stop', 'http:close', 'postgres:close']);
  });
});
