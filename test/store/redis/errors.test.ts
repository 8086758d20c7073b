import { describe, expect, it } from 'vitest';
import { toAcdError } from '../../../src/store/redis/errors.js';
import { testRedis } from '../../support/redis.js';

describe('toAcdError', () => {
  it('keeps ACD codes and details from a script error reply', () => {
    const e = toAcdError(Object.assign(new Error('ACD AGENT_UNKNOWN\t{"agentId":"x"}\tunknown agent x'), { name: 'ReplyError' }), 'setReady');
    expect(e).toMatchObject({ code: 'AGENT_UNKNOWN', message: 'unknown agent x', details: { agentId: 'x' } });
  });

  it('maps a real non-ACD error reply to STORE_FAILED and busy/loading replies to STORE_UNAVAILABLE', async () => {
    const redis = await testRedis();
    try {
      const err = await redis.call('NO-SUCH-COMMAND').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(toAcdError(err, 'x').code).toBe('STORE_FAILED');
    } finally {
      await redis.quit();
    }
    expect(toAcdError(Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }), 'x').code).toBe('STORE_UNAVAILABLE');
    expect(toAcdError(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'enqueue')).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { op: 'enqueue' } });
  });
});
