import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { MediaError } from '../../src/media/errors.js';
import { FsmrfLeg, DEFAULT_MEDIA_LIMITS } from '../../src/media/fsmrf-leg.js';
import { withTimeout } from '../../src/media/timeout.js';

/** A stand-in for an fsmrf Endpoint whose operations settle only when the test says so. */
class FakeEndpoint extends EventEmitter {
  uuid = 'ep-1';
  local = { sdp: 'v=0' };
  remote = { sdp: 'v=0' };
  apiCalls: string[] = [];
  executed: string[] = [];
  destroyed = 0;
  pending: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  nextExecuteHeaders: Record<string, string> = {};

  private hold<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => this.pending.push({ resolve: resolve as (v: unknown) => void, reject }));
  }
  play(files: string[]): Promise<unknown> {
    this.played.push(files);
    return this.hold();
  }
  collected: Array<Record<string, unknown>> = [];
  played: string[][] = [];
  playCollect(opts: Record<string, unknown>): Promise<unknown> {
    this.collected.push(opts);
    return this.hold();
  }
  sets = 0;
  set(): Promise<unknown> {
    this.sets++;
    return Promise.resolve({});
  }
  execute(app: string, arg?: string): Promise<unknown> {
    this.executed.push(`${app} ${arg ?? ''}`.trim());
    const headers = this.nextExecuteHeaders;
    if (app === 'detect_audio') return Promise.resolve({ getHeader: (n: string) => headers[n], getBody: () => '' });
    return this.hold();
  }
  api(cmd: string, args: string): Promise<unknown> {
    this.apiCalls.push(`${cmd} ${args}`);
    return Promise.resolve({ getBody: () => '+OK' });
  }
  bridge(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    this.destroyed++;
    return Promise.resolve();
  }
}

function leg(clock: VirtualClock): { ep: FakeEndpoint; leg: FsmrfLeg } {
  const ep = new FakeEndpoint();
  return { ep, leg: new FsmrfLeg(ep as never, clock, { ...DEFAULT_MEDIA_LIMITS, graceMs: 1000, playMs: 10_000 }) };
}

describe('withTimeout', () => {
  it('rejects with MEDIA_TIMEOUT when the work never settles, and clears its timer when it does', async () => {
    const clock = new VirtualClock();
    const stuck = withTimeout(new Promise<never>(() => undefined), 500, clock, 'play', { onLate: null });
    const caught = stuck.catch((e: unknown) => e);
    await clock.advanceAsync(499);
    expect(clock.pending()).toBe(1);
    await clock.advanceAsync(1);
    const err = await caught;
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('MEDIA_TIMEOUT');

    const ok = await withTimeout(Promise.resolve(7), 500, clock, 'x', { onLate: null });
    expect(ok).toBe(7);
    expect(clock.pending()).toBe(0);
  });

  it('wraps a foreign rejection as MEDIA_FAILED', async () => {
    const clock = new VirtualClock();
    const err = await withTimeout(Promise.reject(new Error('boom')), 500, clock, 'bridge', { onLate: null }).catch((e: unknown) => e);
    expect((err as MediaError).code).toBe('MEDIA_FAILED');
    expect((err as MediaError).message).toContain('boom');
  });
});

describe('FsmrfLeg', () => {
  it('a play that FreeSWITCH never finishes times out and the channel is broken out of it', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const p = l.play(['/p/a.wav'], { timeoutMs: 2000 }).catch((e: unknown) => e);
    await clock.advanceAsync(2999);
    expect(ep.apiCalls).toEqual([]);
    await clock.advanceAsync(1);
    const err = (await p) as MediaError;
    expect(err.code).toBe('MEDIA_TIMEOUT');
    expect(ep.apiCalls).toEqual(['uuid_break ep-1 all']);
  });

  it('a hangup during an operation ends it as MEDIA_GONE, tells listeners once, and later calls fail fast', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const reasons: string[] = [];
    l.onGone((r) => reasons.push(r));
    const p = l.play(['/p/a.wav']).catch((e: unknown) => e);
    ep.emit('destroy', { reason: 'NORMAL_CLEARING' });
    ep.pending[0]!.reject(new Error('endpoint no longer active'));
    const err = (await p) as MediaError;
    expect(err.code).toBe('MEDIA_GONE');
    expect(reasons).toEqual(['NORMAL_CLEARING']);
    await expect(l.play(['/p/b.wav'])).rejects.toMatchObject({ code: 'MEDIA_GONE' });
    await l.release();
    expect(ep.destroyed).toBe(0);
    expect(reasons).toHaveLength(1);
  });

  it('the media server dies under an operation (it never settles): MEDIA_GONE at once, not at the time limit', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    let settled: unknown;
    const p = l.play(['/p/a.wav']).then(
      () => (settled = 'resolved'),
      (e: unknown) => (settled = e),
    );
    await flushMicrotasks();
    // fsmrf on esl::end: destroy, then its listeners are gone and the play's promise is left pending for ever.
    ep.emit('destroy');
    ep.removeAllListeners();
    await p;
    expect(settled).toMatchObject({ code: 'MEDIA_GONE' });
    expect(clock.now()).toBe(0);
    // Nothing left waiting on the clock: the operation's timer went with it.
    expect(clock.nextAt()).toBeUndefined();
  });

  it('serverLost ends the leg at once (listeners told, the stuck operation not awaited) and still asks the endpoint to hang up', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const reasons: string[] = [];
    l.onGone((r) => reasons.push(r));
    // A play on a frozen FreeSWITCH: its completion never comes.
    const p = l.play(['/p/a.wav']).catch((e: unknown) => e);
    await flushMicrotasks();
    l.serverLost('no heartbeat for 5000 ms');
    expect(l.gone).toBe(true);
    expect(reasons).toEqual(['media server lost: no heartbeat for 5000 ms']);
    expect(ep.destroyed).toBe(1);
    l.serverLost('again');
    await l.release();
    expect(ep.destroyed).toBe(1);
    expect(reasons).toHaveLength(1);
    // The stuck play has settled as MEDIA_GONE (at once: the leg went).
    await clock.advanceAsync(11_000);
    expect(await p).toMatchObject({ code: 'MEDIA_GONE' });
  });

  it('waitForVoice reads detect_audio_timeout: false means voice was heard', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    ep.nextExecuteHeaders = { variable_detect_audio_timeout: 'false' };
    expect(await l.waitForVoice(5000)).toBe(true);
    ep.nextExecuteHeaders = { variable_detect_audio_timeout: 'true' };
    expect(await l.waitForVoice(5000)).toBe(false);
    expect(ep.executed).toEqual(['detect_audio 300 3 5000', 'detect_audio 300 3 5000']);
  });

  it('release is idempotent and removes dtmf listeners by reference', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const digits: string[] = [];
    const off = l.onDtmf((d) => digits.push(d));
    ep.emit('dtmf', { dtmf: '5' });
    off();
    ep.emit('dtmf', { dtmf: '6' });
    expect(digits).toEqual(['5']);
    await Promise.all([l.release(), l.release()]);
    await flushMicrotasks();
    expect(ep.destroyed).toBe(1);
    expect(l.gone).toBe(true);
  });

  it('a prompt over music on hold breaks the loop, plays, and resumes the same loop (FreeSWITCH would queue it behind)', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    await l.startBackground('/p/moh.wav');
    expect(ep.executed).toEqual(['endless_playback /p/moh.wav']);
    const played = l.play(['/p/position.wav']);
    await clock.advanceAsync(1000); // the broken loop does not report back here; the leg waits 1 s at most
    // One break, for the loop: starting the music on an idle leg broke nothing.
    expect(ep.apiCalls.filter((c) => c === 'uuid_break ep-1 all').length).toBe(1);
    ep.pending.at(-1)!.resolve({}); // the prompt finished
    await played;
    await clock.advanceAsync(0);
    expect(ep.executed).toEqual(['endless_playback /p/moh.wav', 'endless_playback /p/moh.wav']);
    // stopAudio between prompt and resume wins: no resume.
    const again = l.play(['/p/x.wav']);
    await clock.advanceAsync(1000);
    await l.stopAudio();
    ep.pending.at(-1)!.resolve({});
    await again;
    await clock.advanceAsync(0);
    expect(ep.executed.filter((e) => e.startsWith('endless_playback'))).toHaveLength(2);
  });

  it('barge-in (default): the prompts play inside play_and_get_digits, so a key stops them and counts', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const p = l.collect({ prompts: ['/p/greeting.wav'], min: 1, max: 1, timeoutMs: 0, interDigitMs: 3000 });
    await flushMicrotasks();
    expect(ep.played).toEqual([]);
    // 0 ("do not wait after the prompt") must not become fsmrf's default of 120 s.
    expect(ep.collected[0]).toMatchObject({ file: '/p/greeting.wav', min: 1, max: 1, timeout: 1 });
    ep.pending[0]!.resolve({ digits: '1' });
    expect(await p).toBe('1');
  });

  it('bargeIn false: the prompts play whole first (playback drops keys), then digits are collected over silence', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const p = l.collect({ prompts: ['/p/menu.wav'], min: 1, max: 1, timeoutMs: 5000, interDigitMs: 3000, bargeIn: false });
    await flushMicrotasks();
    expect(ep.played).toEqual([['/p/menu.wav']]);
    expect(ep.collected).toEqual([]);
    ep.pending[0]!.resolve({});
    await flushMicrotasks();
    expect(ep.collected[0]).toMatchObject({ file: 'silence_stream://250', timeout: 5000 });
    ep.pending[1]!.resolve({ digits: '' });
    expect(await p).toBe('');
  });

  it('breaks only what runs: no uuid_break on an idle leg, one while a prompt or the music plays', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    await l.stopAudio();
    await l.startBackground('/p/moh.wav');
    expect(ep.apiCalls).toEqual([]);
    const stopped = l.stopAudio(); // the music
    await clock.advanceAsync(1000); // the loop's completion is awaited 1 s at most
    await stopped;
    expect(ep.apiCalls).toEqual(['uuid_break ep-1 all']);
    await l.stopAudio(); // nothing left
    expect(ep.apiCalls).toHaveLength(1);
    const played = l.play(['/p/a.wav']);
    await flushMicrotasks();
    await l.stopAudio(); // the prompt
    expect(ep.apiCalls).toHaveLength(2);
    ep.pending.at(-1)!.resolve({});
    await played;
    await flushMicrotasks();
    await l.stopAudio();
    expect(ep.apiCalls).toHaveLength(2);
    // An application past its time limit still runs in FreeSWITCH until it reports back: it is still broken.
    const stuck = l.play(['/p/b.wav'], { timeoutMs: 100 }).catch((e: unknown) => e);
    await clock.advanceAsync(1100);
    expect((await stuck) as MediaError).toMatchObject({ code: 'MEDIA_TIMEOUT' });
    const n = ep.apiCalls.length;
    await l.stopAudio();
    expect(ep.apiCalls).toHaveLength(n + 1);
  });

  it('several files go to FreeSWITCH as one file_string:// list: one execute per announcement, no playback_delimiter set', async () => {
    const clock = new VirtualClock();
    const { ep, leg: l } = leg(clock);
    const played = l.play(['/p/position.wav', '/p/num/3.wav', 'tone_stream://%(500,0,800)']);
    await flushMicrotasks();
    expect(ep.played).toEqual([['file_string:///p/position.wav!/p/num/3.wav!tone_stream://%(500,0,800)']]);
    ep.pending[0]!.resolve({});
    await played;
    const got = l.collect({ prompts: ['/p/menu.wav', '/p/en/menu.wav'], min: 1, max: 1, timeoutMs: 5000, interDigitMs: 3000 });
    await flushMicrotasks();
    expect(ep.collected[0]).toMatchObject({ file: 'file_string:///p/menu.wav!/p/en/menu.wav' });
    ep.pending[1]!.resolve({ digits: '2' });
    expect(await got).toBe('2');
    expect(ep.sets).toBe(0);
    // One file stays as it is (FreeSWITCH reports a missing one as FILE NOT FOUND).
    void l.play(['/p/a.wav']).catch(() => undefined);
    await flushMicrotasks();
    expect(ep.played.at(-1)).toEqual(['/p/a.wav']);
  });
});
