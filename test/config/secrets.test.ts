import { describe, expect, it } from 'vitest';
import { ConfigError, defaultSecretWarnings, isLoopbackHost, loadConfig, redactUrl } from '../../src/config/index.js';

describe('redactUrl (issue 9 item 18)', () => {
  it('hides the password, keeps everything else', () => {
    expect(redactUrl('redis://default:S3cret@127.0.0.1:1')).toBe('redis://default:***@127.0.0.1:1');
    expect(redactUrl('postgres://app:p%40ss@db.example:5432/hotline')).toBe('postgres://app:***@db.example:5432/hotline');
    expect(redactUrl('rediss://:onlypass@cache:6380/0')).toBe('rediss://:***@cache:6380/0');
  });

  it('leaves URLs without a password as they are, and redacts malformed ones too', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(redactUrl('redis://a:S3cret@[zz')).toBe('redis://a:***@[zz');
  });
});

describe('URL variables are checked at load (item 16) and never echoed with their password', () => {
  for (const [key, value, why] of [
    ['REDIS_URL', 'redis://a:S3cret@[zz', 'not a valid URL'],
    ['REDIS_URL', 'http://127.0.0.1:6379', 'must start with redis://'],
    ['REDIS_URL', 'redis://', 'names no host'],
    ['DATABASE_URL', 'postgres://u:S3cret@', 'not a valid URL'],
    ['DATABASE_URL', 'mysql://u:S3cret@db/x', 'must start with postgres://'],
  ] as const) {
    it(`${key}=${value}`, () => {
      try {
        loadConfig({ [key]: value });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        const problems = (e as ConfigError).problems;
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(`${key}: ${why}`);
        expect(problems[0]).not.toContain('S3cret');
      }
    });
  }

  it('accepts the usual forms', () => {
    const c = loadConfig({ REDIS_URL: 'rediss://default:pw@cache.example:6380/2', DATABASE_URL: 'postgresql://app:pw@db.example/hotline' });
    expect(c.REDIS_URL).toBe('rediss://default:pw@cache.example:6380/2');
  });
});

describe('well-known default secrets beyond loopback (item 18)', () => {
  const base = { DRACHTIO_HOST: '127.0.0.1', DRACHTIO_SECRET: 'cymru', FREESWITCH_HOST: '127.0.0.1', FREESWITCH_SECRET: 'ClueCon' };

  it('are fine on loopback', () => {
    expect(defaultSecretWarnings(base)).toEqual([]);
    expect(defaultSecretWarnings({ ...base, DRACHTIO_HOST: 'localhost', FREESWITCH_HOST: '::1' })).toEqual([]);
  });

  it('warn once each when the host is elsewhere', () => {
    const w = defaultSecretWarnings({ ...base, DRACHTIO_HOST: '10.0.0.5', FREESWITCH_HOST: 'media.example' });
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/^DRACHTIO_SECRET .*"cymru".*10\.0\.0\.5/);
    expect(w[1]).toMatch(/^FREESWITCH_SECRET .*"ClueCon".*media\.example/);
  });

  it('do not warn for secrets of your own', () => {
    expect(defaultSecretWarnings({ ...base, DRACHTIO_HOST: '10.0.0.5', DRACHTIO_SECRET: 'x9!long', FREESWITCH_HOST: '10.0.0.6', FREESWITCH_SECRET: 'y8?long' })).toEqual([]);
  });

  it('with FREESWITCH_SERVERS: one warning per server beyond loopback that uses the default, by its own secret', () => {
    const w = defaultSecretWarnings({ ...base, FREESWITCH_HOST: '10.9.9.9', FREESWITCH_SERVERS: '127.0.0.1:8021,10.0.0.7:8021,mine@10.0.0.8:8021' });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^FREESWITCH_SECRET .*"ClueCon".*10\.0\.0\.7/);
    expect(defaultSecretWarnings({ ...base, FREESWITCH_SECRET: 'own', FREESWITCH_SERVERS: 'ClueCon@10.0.0.7:8021' })).toHaveLength(1);
  });

  it('knows loopback', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', '::', 'example.com', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });
});
