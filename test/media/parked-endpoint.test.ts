import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { DEFAULT_MEDIA_LIMITS, FsmrfLeg } from '../../src/media/fsmrf-leg.js';
import { MediaServerConnection } from '../../src/media/media-server.js';
import { PARK_HEADER, ParkedEndpoint, SharedExecutions, UUID_HEADER } from '../../src/media/parked-endpoint.js';

type Headers = Record<string, string>;
const evt = (h: Headers, body = '') => ({ getHeader: (n: string) => h[n], getBody: () => body });

/** The shared inbound socket: executes and api calls recorded, answered when the test says. */
class FakeEsl extends EventEmitter {
  executed: Array<{ app: string; arg: string; uuid: string; done: (e: ReturnType<typeof evt>) => void }> = [];
  apis: Array<{ command: string; args: string | string[]; done: (e: ReturnType<typeof evt>) => void }> = [];
  execute(app: string, arg: string, uuid: string, cb: (e: ReturnType<typeof evt>) => void): void {
    this.executed.push({ app, arg, uuid, done: cb });
  }
  api(command: string, args: string | string[], cb: (e: ReturnType<typeof evt>) => void): void {
    this.apis.push({ command, args, done: cb });
  }
  onDtmf(uuid: string, fn: (e: ReturnType<typeof evt>) => void): () => void {
    this.on(`esl::event::DTMF::${uuid}`, fn);
    return () => this.off(`esl::event::DTMF::${uuid}`, fn);
  }
}

class FakeDialog extends EventEmitter {
  remote = { sdp: 'v=0 fs' };
  byes = 0;
  destroy(): Promise<void> {
    this.byes++;
    return Promise.resolve();
  }
  modify(): Promise<string> {
    return Promise.resolve('v=0 new');
  }
}

function parked() {
  const esl = new FakeEsl();
  const dialog = new FakeDialog();
  const ep = new ParkedEndpoint('ch-1', dialog as never, esl);
  return { esl, dialog, ep };
}

describe('ParkedEndpoint (MEDIA_CONTROL=shared)', () => {
  it('runs applications on its channel over the shared socket and reads their results as fsmrf does', async () => {
    const { esl, ep } = parked();
    expect(ep.local.sdp).toBe('v=0 fs');
    const played = ep.play(['file_string:///p/a.wav!/p/b.wav']);
    expect(esl.executed[0]).toMatchObject({ app: 'playback', arg: 'file_string:///p/a.wav!/p/b.wav', uuid: 'ch-1' });
    esl.executed[0]!.done(evt({ 'Application-Response': 'FILE PLAYED' }));
    await played;
    const missing = ep.play(['/p/none.wav']).catch((e: unknown) => e);
    esl.executed[1]!.done(evt({ 'Application-Response': 'FILE NOT FOUND' }));
    expect(String(await missing)).toContain('File Not Found');
    const got = ep.playCollect({ file: '/p/menu.wav', min: 1, max: 1, tries: 1, timeout: 1, digitTimeout: 3000, terminators: '#', regexp: '[0-9*#]{1,1}' });
    expect(esl.executed[2]!.arg).toBe('1 1 1 1 # /p/menu.wav silence_stream://250 myDigitBuffer [0-9*#]{1,1} 3000');
    esl.executed[2]!.done(evt({ Application: 'play_and_get_digits', variable_myDigitBuffer: '1' }));
    expect((await got).digits).toBe('1');
    const rec = ep.record('/r/x.wav', { timeLimitSecs: 60, silenceThresh: 200, silenceHits: 5 });
    expect(esl.executed[3]!.arg).toBe('/r/x.wav 60 200 5');
    esl.executed[3]!.done(evt({ Application: 'record', variable_record_seconds: '7' }));
    expect((await rec).recordSeconds).toBe('7');
  });

  it('bridges and breaks with api commands, failing on -ERR', async () => {
    const { esl, ep } = parked();
    const ok = ep.bridge('ch-2');
    expect(esl.apis[0]).toMatchObject({ command: 'uuid_bridge', args: ['ch-1', 'ch-2'] });
    esl.apis[0]!.done(evt({}, '+OK ch-2'));
    await ok;
    const bad = ep.bridge('gone').catch((e: unknown) => e);
    esl.apis[1]!.done(evt({}, '-ERR no such channel'));
    expect(String(await bad)).toContain('-ERR');
  });

  it('says destroy when FreeSWITCH ends the channel, hears its DTMF until then, and hangs up by BYE once', async () => {
    const { esl, dialog, ep } = parked();
    const digits: string[] = [];
    const destroyed: unknown[] = [];
    ep.on('dtmf', (d: { dtmf: string }) => digits.push(d.dtmf));
    ep.on('destroy', (e: unknown) => destroyed.push(e));
    esl.emit('esl::event::DTMF::ch-1', evt({ 'DTMF-Digit': '*' }));
    esl.emit('esl::event::DTMF::ch-9', evt({ 'DTMF-Digit': '5' })); // another channel's
    expect(digits).toEqual(['*']);
    dialog.emit('destroy');
    expect(destroyed).toEqual([{ reason: 'hangup' }]);
    esl.emit('esl::event::DTMF::ch-1', evt({ 'DTMF-Digit': '1' }));
    expect(digits).toEqual(['*']);
    expect(esl.listenerCount('esl::event::DTMF::ch-1')).toBe(0);
    await ep.destroy(); // already gone: no BYE
    expect(dialog.byes).toBe(0);
    await expect(ep.execute('playback', '/p/a.wav')).rejects.toThrow('no longer active');

    const second = parked();
    const said: unknown[] = [];
    second.ep.on('destroy', (e: unknown) => said.push(e));
    await Promise.all([second.ep.destroy(), second.ep.destroy()]);
    expect(second.dialog.byes).toBe(1);
    second.dialog.emit('destroy'); // the BYE's own end of the dialog: ours, not the far end's
    expect(said).toEqual([]);
  });
});

/** The slice of fsmrf's MediaServer the shared mode uses: its inbound socket and the drachtio_mrf address. */
class FakeMediaServer {
  sip = { ipv4: { udp: { address: '127.0.0.1:5080' } } };
  subscribed: string[] = [];
  reply = '+OK';
  /** What `api xml_locate dialplan context name drachtio_mrf` answers (the start-up check of the dialplan). */
  dialplan = '<context name="drachtio_mrf"><extension name="hotline_parked"></extension></context>';
  conn = Object.assign(new FakeEsl(), {
    api: (_command: string, _args: string | string[], cb: (e: ReturnType<typeof evt>) => void) => cb(evt({}, this.dialplan)),
    sendRecv: (c: string, cb: (e: unknown) => void) => {
      this.subscribed.push(c);
      cb(evt({ 'Reply-Text': this.reply }));
    },
    send: () => undefined,
    parser: new EventEmitter(),
  });
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

class FakeSrf {
  invites: Array<{ uri: string; opts: { localSdp: string; headers: Headers } }> = [];
  answerHeaders: Headers = { [UUID_HEADER]: 'ch-7' };
  last: (FakeDialog & { res: { get(n: string): string | undefined } }) | undefined;
  createUAC(uri: string, opts: { localSdp: string; headers: Headers }): Promise<FakeDialog> {
    this.invites.push({ uri, opts });
    const h = this.answerHeaders;
    this.last = Object.assign(new FakeDialog(), { res: { get: (n: string) => h[n] } });
    return Promise.resolve(this.last);
  }
}

function sharedConnection(ms: FakeMediaServer, srf: FakeSrf): MediaServerConnection {
  // The constructor is private (connect() builds it over a real fsmrf connection); the shared mode is switched on as
  // connect() does.
  const Ctor = MediaServerConnection as unknown as new (...a: unknown[]) => MediaServerConnection;
  const conn = new Ctor(ms, new VirtualClock(), DEFAULT_MEDIA_LIMITS, 1000);
  (conn as unknown as { shared: unknown }).shared = srf;
  return conn;
}

describe('MediaServerConnection with MEDIA_CONTROL=shared', () => {
  it('filters the shared socket to parked channels, DTMF and HEARTBEAT, and again after modesl reconnects it', async () => {
    const ms = new FakeMediaServer();
    const Ctor = MediaServerConnection as unknown as new (...a: unknown[]) => MediaServerConnection;
    const conn = new Ctor(ms, new VirtualClock(), DEFAULT_MEDIA_LIMITS, 1000);
    await (conn as unknown as { shareSocket(srf: unknown, log: unknown): Promise<void> }).shareSocket(new FakeSrf(), quiet);
    const expected = [
      'filter Event-Name HEARTBEAT',
      'filter Event-Name DTMF',
      'filter variable_hotline_parked true',
      'filter Application -multiset',
      'filter Application -answer',
      'filter Application -park',
      'event json CHANNEL_EXECUTE_COMPLETE DTMF HEARTBEAT',
    ];
    expect(ms.subscribed).toEqual(expected);
    ms.conn.emit('esl::ready');
    await Promise.resolve();
    expect(ms.subscribed).toEqual([...expected, ...expected]);
    // A FreeSWITCH that refuses is a start-up error, not a silent loss of every parked channel's results.
    const refusing = new FakeMediaServer();
    refusing.reply = '-ERR invalid';
    const other = new Ctor(refusing, new VirtualClock(), DEFAULT_MEDIA_LIMITS, 1000);
    await expect((other as unknown as { shareSocket(srf: unknown, log: unknown): Promise<void> }).shareSocket(new FakeSrf(), quiet)).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
  });

  it('a FreeSWITCH whose drachtio_mrf dialplan lacks the hotline_parked extension is a start-up error naming it, before any subscription', async () => {
    const ms = new FakeMediaServer();
    ms.dialplan = '<context name="drachtio_mrf"><extension name="drachtio_fsmrf"></extension></context>';
    const Ctor = MediaServerConnection as unknown as new (...a: unknown[]) => MediaServerConnection;
    const conn = new Ctor(ms, new VirtualClock(), DEFAULT_MEDIA_LIMITS, 1000);
    await expect((conn as unknown as { shareSocket(srf: unknown, log: unknown): Promise<void> }).shareSocket(new FakeSrf(), quiet)).rejects.toMatchObject({
      code: 'MEDIA_UNAVAILABLE',
      message: expect.stringMatching(/hotline_parked extension .*MEDIA_CONTROL=socket/),
    });
    expect(ms.subscribed).toEqual([]);
  });

  it('INVITEs FreeSWITCH with the park header and drives the channel named in its answer', async () => {
    const ms = new FakeMediaServer();
    const srf = new FakeSrf();
    const leg = await sharedConnection(ms, srf).legForRemoteSdp('v=0 seat');
    expect(srf.invites).toEqual([{ uri: 'sip:drachtio@127.0.0.1:5080', opts: { localSdp: 'v=0 seat', headers: { [PARK_HEADER]: '1' } } }]);
    expect(leg).toBeInstanceOf(FsmrfLeg);
    expect(leg.id).toBe('ch-7');
    expect(leg.localSdp).toBe('v=0 fs');
  });

  it('an answer without the channel uuid (an old dialplan) is hung up and reported as a set-up failure', async () => {
    const ms = new FakeMediaServer();
    const srf = new FakeSrf();
    srf.answerHeaders = {};
    const conn = sharedConnection(ms, srf);
    let failures = 0;
    conn.onSetupFailure(() => failures++);
    await expect(conn.legForRemoteSdp('v=0')).rejects.toMatchObject({ code: 'MEDIA_FAILED' });
    expect(srf.last!.byes).toBe(1);
    expect(failures).toBe(1);
  });
});

describe('SharedExecutions (the shared socket\'s executes)', () => {
  // The inbound Connection is an EventEmitter2 with `::` wildcards (drachtio-modesl 1.3), as here.
  const modeslRequire = createRequire(createRequire(createRequire(import.meta.url).resolve('drachtio-fsmrf')).resolve('drachtio-modesl'));
  const { EventEmitter2 } = modeslRequire('eventemitter2') as { EventEmitter2: new (o: object) => EventEmitter & { off(e: string, f: unknown): unknown } };

  function inbound() {
    const conn = Object.assign(new EventEmitter2({ wildcard: true, delimiter: '::' }), {
      sent: [] as Array<{ command: string; args?: Record<string, unknown> }>,
      send(command: string, args?: Record<string, unknown>) {
        conn.sent.push({ command, ...(args ? { args } : {}) });
      },
      api: () => undefined,
    });
    return conn;
  }

  it('writes what modesl writes and resolves each execute with its own CHANNEL_EXECUTE_COMPLETE', () => {
    const conn = inbound();
    const x = new SharedExecutions(conn);
    const got: string[] = [];
    const id1 = x.execute('playback', '/p/a.wav', 'ch-1', (e) => got.push(`1:${e.getHeader('Application-Response')}`));
    const id2 = x.execute('detect_audio', '300 3 1000', 'ch-1', (e) => got.push(`2:${e.getHeader('variable_detect_audio_timeout')}`));
    x.execute('hangup', undefined, 'ch-2', () => got.push('3'));
    expect(conn.sent[0]).toEqual({ command: 'sendmsg ch-1', args: { 'execute-app-name': 'playback', 'execute-app-arg': '/p/a.wav', 'call-command': 'execute', 'Event-UUID': id1 } });
    expect(Object.keys(conn.sent[0]!.args!)).toEqual(['execute-app-name', 'execute-app-arg', 'call-command', 'Event-UUID']);
    expect(conn.sent[2]!.args).not.toHaveProperty('execute-app-arg');
    expect(x.waiting).toBe(3);
    // Another execute's result, one of another client (no Application-UUID of ours), then the two in reverse order.
    conn.emit('esl::event::CHANNEL_EXECUTE_COMPLETE::ch-1', evt({ 'Application-UUID': 'not-ours' }));
    conn.emit('esl::event::CHANNEL_EXECUTE_COMPLETE::ch-1', evt({ 'Application-UUID': id2, variable_detect_audio_timeout: 'false' }));
    conn.emit('esl::event::CHANNEL_EXECUTE_COMPLETE::ch-1', evt({ 'Application-UUID': id1, 'Application-Response': 'FILE PLAYED' }));
    conn.emit('esl::event::CHANNEL_EXECUTE_COMPLETE::ch-1', evt({ 'Application-UUID': id1, 'Application-Response': 'again' }));
    expect(got).toEqual(['2:false', '1:FILE PLAYED']);
    expect(x.waiting).toBe(1);
    conn.emit('esl::end');
    expect(x.waiting).toBe(0);
  });

  it("routes each channel's DTMF by its Unique-ID through one listener: channels coming and going leave the Connection's listeners as they were", () => {
    const conn = inbound();
    const x = new SharedExecutions(conn);
    const listeners = conn.listenerCount('esl::event::DTMF::ch-1');
    const eps = Array.from({ length: 50 }, (_, i) => new ParkedEndpoint(`ch-${i}`, new FakeDialog() as never, x));
    const heard: string[] = [];
    eps[7]!.on('dtmf', (d: { dtmf: string }) => heard.push(`7:${d.dtmf}`));
    eps[8]!.on('dtmf', (d: { dtmf: string }) => heard.push(`8:${d.dtmf}`));
    conn.emit('esl::event::DTMF::ch-7', evt({ 'Unique-ID': 'ch-7', 'DTMF-Digit': '*' }));
    conn.emit('esl::event::DTMF::ch-8', evt({ 'Unique-ID': 'ch-8', 'DTMF-Digit': '1' }));
    conn.emit('esl::event::DTMF::other', evt({ 'Unique-ID': 'other', 'DTMF-Digit': '9' })); // not one of ours
    expect(heard).toEqual(['7:*', '8:1']);
    expect(x.dtmfListeners).toBe(50);
    expect(conn.listenerCount('esl::event::DTMF::ch-1')).toBe(listeners);
    // FreeSWITCH ends channel 7 (its BYE): it hears nothing more, and the others still do.
    (eps[7] as unknown as { dialog: EventEmitter }).dialog.emit('destroy');
    conn.emit('esl::event::DTMF::ch-7', evt({ 'Unique-ID': 'ch-7', 'DTMF-Digit': '2' }));
    conn.emit('esl::event::DTMF::ch-8', evt({ 'Unique-ID': 'ch-8', 'DTMF-Digit': '3' }));
    expect(heard).toEqual(['7:*', '8:1', '8:3']);
    expect(x.dtmfListeners).toBe(49);
  });

  it('gives each execute a short id of its own, unlike another socket\'s (FreeSWITCH reads commands a byte at a time)', () => {
    const a = new SharedExecutions(inbound());
    const b = new SharedExecutions(inbound());
    const ids = Array.from({ length: 2000 }, (_, i) => (i % 2 ? a : b).execute('playback', '/p/a.wav', 'ch-1', () => undefined));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids.map((i) => i.length))).toBeLessThanOrEqual(14);
  });

  it('drives a ParkedEndpoint end to end', async () => {
    const conn = inbound();
    const ep = new ParkedEndpoint('ch-9', new FakeDialog() as never, new SharedExecutions(conn));
    const played = ep.play('/p/hello.wav');
    const id = conn.sent[0]!.args!['Event-UUID'] as string;
    conn.emit('esl::event::CHANNEL_EXECUTE_COMPLETE::ch-9', evt({ 'Application-UUID': id, 'Application-Response': 'FILE PLAYED', variable_playback_ms: '1200' }));
    expect((await played).playbackMilliseconds).toBe('1200');
  });
});
