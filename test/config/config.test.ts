import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('applies loopback defaults and freezes', () => {
    const c = loadConfig({});
    expect(c.HTTP_HOST).toBe('127.0.0.1');
    expect(c.RING_ON_MS).toBe(1000);
    expect(c.RING_ON_MS + c.RING_OFF_MS).toBe(5000);
    expect(Object.isFrozen(c)).toBe(true);
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
