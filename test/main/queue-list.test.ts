import { describe, expect, it } from 'vitest';
import { queueList } from '../../src/main.js';

describe('queue lists of the environment (SILENT_CALL_QUEUES, RECORD_QUEUES, MEDIA_RELEASE_QUEUES, ...)', () => {
  it('names queues, * is every queue, none is no queue (an empty variable is the default, not "none")', () => {
    expect(['general', 'vip', 'x'].map(queueList('general, vip'))).toEqual([true, true, false]);
    expect(['general', 'none'].map(queueList('*'))).toEqual([true, true]);
    expect(['general', 'none'].map(queueList('none'))).toEqual([false, false]);
    expect(queueList('')('general')).toBe(false);
  });
});
