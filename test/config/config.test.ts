import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('applies loopback defaults and freezes', () => {
    const c = loadConfig({});
    expect(c.HTTP_HOST).toBe('127.0.0.1');
    expect(c.RING_ON_MS).toBe(1000);
    expect(c.RING_ON_MS + c.RING_OFF_MS).toBe(5000);
    expect(Object.isFrozen(c)).toBe(true);
    // Each channel through its own event socket unless the shared one is asked for (docs/capacity.md).
    expect(c.MEDIA_CONTROL).toBe('socket');
    expect(loadConfig({ MEDIA_CONTROL: 'shared' }).MEDIA_CONTROL).toBe('shared');
    expect(() => loadConfig({ MEDIA_CONTROL: 'inbound' })).toThrow(ConfigError);
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
