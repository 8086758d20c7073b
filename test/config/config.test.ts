import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, mediaServersFromEnv } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('applies loopback defaults and freezes', () => {
    const c = loadConfig({});
    expect(c.HTTP_HOST).toBe('127.0.0.1');
    expect(c.RING_ON_MS).toBe(1000);
    expect(c.RING_ON_MS + c.RING_OFF_MS).toBe(5000);
    expect(Object.isFrozen(c)).toBe(true);
    // Each channel through its own event socket unless the shared one is asked for (docs/capacity.md).
    expect(c.MEDIA_CONTROL).toBe('shared');
    expect(loadConfig({ MEDIA_CONTROL: 'socket' }).MEDIA_CONTROL).toBe('socket');
    expect(() => loadConfig({ MEDIA_CONTROL: 'inbound' })).toThrow(ConfigError);
  });

  it('admission control: defaults, and idle CPU percentages above 100 refused', () => {
    const c = loadConfig({});
    expect([c.MEDIA_SOFT_IDLE_CPU, c.MEDIA_MIN_IDLE_CPU, c.SETUP_LATENCY_TARGET_MS, c.SETUP_LIMIT_MAX]).toEqual([25, 10, 500, 50]);
    expect(() => loadConfig({ MEDIA_SOFT_IDLE_CPU: '101' })).toThrow(/MEDIA_SOFT_IDLE_CPU: .*100/);
    expect(() => loadConfig({ SETUP_LIMIT_MAX: '0' })).toThrow(/SETUP_LIMIT_MAX: /);
  });

  it('reports one line per bad variable', () => {
    try {
      loadConfig({ HTTP_PORT: 'abc', REDIS_URL: 'http://x', TELEPHONY_ENABLED: 'maybe' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.find((p) => p.startsWith('HTTP_PORT:'))).toContain('"abc"');
      expect(problems.find((p) => p.startsWith('REDIS_URL:'))).toContain('redis://');
      expect((e as ConfigError).code).toBe('CONFIG_INVALID');
    }
  });
});

describe('FREESWITCH_SERVERS', () => {
  it('empty: the one FREESWITCH_HOST:FREESWITCH_PORT, as before the list', () => {
    const c = loadConfig({ FREESWITCH_HOST: '10.1.1.1', FREESWITCH_PORT: '8022', FREESWITCH_SECRET: 's3cret' });
    expect(mediaServersFromEnv(c)).toEqual([{ host: '10.1.1.1', port: 8022, secret: 's3cret', listenPort: 8085, name: '10.1.1.1:8022' }]);
  });

  it('a list: each its own secret or FREESWITCH_SECRET, and listen port FSMRF_LISTEN_PORT + its index', () => {
    const c = loadConfig({ FREESWITCH_SERVERS: ' 127.0.0.1:8021, other@fs2.lan:8023 ,[::1]:8025', FREESWITCH_SECRET: 'dflt', FSMRF_LISTEN_PORT: '9000' });
    expect(mediaServersFromEnv(c)).toEqual([
      { host: '127.0.0.1', port: 8021, secret: 'dflt', listenPort: 9000, name: '127.0.0.1:8021' },
      { host: 'fs2.lan', port: 8023, secret: 'other', listenPort: 9001, name: 'fs2.lan:8023' },
      { host: '::1', port: 8025, secret: 'dflt', listenPort: 9002, name: '[::1]:8025' },
    ]);
  });

  it.each([
    ['127.0.0.1', /entry 1 "127\.0\.0\.1" is not \[secret@\]host:port/],
    ['127.0.0.1:8021,,10.0.0.2:8021', /entry 2 is empty/],
    ['a:8021,b:0', /entry 2 "b:0" has port 0, not 1\.\.65535/],
    ['a:99999', /has port 99999/],
    ['a:8021,A:8021', /entry 2 "A:8021" names a:8021 a second time/],
    ['http://a:8021', /is not \[secret@\]host:port/],
  ])('refuses %j in one line', (value, message) => {
    try {
      loadConfig({ FREESWITCH_SERVERS: value });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^FREESWITCH_SERVERS: /);
      expect(problems[0]).toMatch(message);
      expect(problems[0]).not.toContain('\n');
    }
  });

  it('never echoes a secret in its error', () => {
    try {
      loadConfig({ FREESWITCH_SERVERS: 'topsecret@a:8021,s2@b' });
      expect.unreachable();
    } catch (e) {
      const line = (e as ConfigError).problems[0]!;
      expect(line).toMatch(/entry 2 "\*\*\*@b"/);
      expect(line).not.toMatch(/topsecret|s2@/);
    }
  });

  it('refuses a list whose listen ports would run past 65535', () => {
    expect(() => loadConfig({ FREESWITCH_SERVERS: 'a:1,b:2,c:3', FSMRF_LISTEN_PORT: '65534' })).toThrow(/FSMRF_LISTEN_PORT: 3 media servers need listen ports 65534\.\.65536, past 65535/);
  });

  it('MEDIA_HEARTBEAT_STALE_MS defaults to 5 s (FreeSWITCH beats every 2 s with freeswitch-conf/)', () => {
    expect(loadConfig({}).MEDIA_HEARTBEAT_STALE_MS).toBe(5000);
  });
});
