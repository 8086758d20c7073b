import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ApiMetrics } from '../../src/api/metrics.js';
import { SUBSCRIPTION, UNUSED_EVENTS, commandName, compactCommand, trimSubscription, tuneConnection, watchShared, watchTraffic, type EslTrafficObserver } from '../../src/media/esl-socket.js';

/** A stand-in for modesl's outbound Connection: the parser's events, the written commands, the socket's byte counts. */
class FakeConn extends EventEmitter {
  readonly parser = new EventEmitter();
  readonly chunks: string[] = [];
  socket: (EventEmitter & { bytesRead: number; bytesWritten: number; write(s: string): boolean }) | null = Object.assign(new EventEmitter(), {
    bytesRead: 0,
    bytesWritten: 0,
    write: (chunk: string) => this.chunks.push(chunk) > 0,
  });
  info: { getHeader(h: string): string | undefined } | null = null;
  readonly written: Array<{ command: string; args?: Record<string, unknown> }> = [];
  readonly recv: string[] = [];
  getInfo() {
    return this.info;
  }
  send(command: string, args?: Record<string, unknown>): void {
    this.written.push({ command, ...(args ? { args } : {}) });
  }
  sendRecv(command: string, cb: () => void): void {
    this.recv.push(command);
    this.send(command);
    cb();
  }
}

const event = (name: string) => ({ getHeader: (h: string) => (h === 'Event-Name' ? name : undefined), getBody: () => '' });

function recorder(): EslTrafficObserver & { got: string[]; sentNames: string[]; closes: Array<[number, number]>; bytes: number } {
  const r = {
    got: [] as string[],
    sentNames: [] as string[],
    closes: [] as Array<[number, number]>,
    bytes: 0,
    received(name: string, bytes: number) {
      r.got.push(name);
      r.bytes += bytes;
    },
    sent(name: string) {
      r.sentNames.push(name);
    },
    closed(i: number, o: number) {
      r.closes.push([i, o]);
    },
  };
  return r;
}

describe('endpoint event sockets', () => {
  it('names commands without their arguments: execute <app>, api <command>, the socket verb', () => {
    expect(commandName('sendmsg 1234', { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': '/p/a.wav' })).toBe('execute playback');
    expect(commandName('api uuid_break 1234 all')).toBe('api uuid_break');
    expect(commandName('filter Unique-ID 1234')).toBe('filter');
    expect(commandName('event json CHANNEL_EXECUTE_COMPLETE')).toBe('event');
    expect(commandName('sendmsg 1234', { 'call-command': 'hangup' })).toBe('sendmsg hangup');
  });

  it('counts events by name with their body bytes, replies by kind, commands as written, and the socket bytes at close', () => {
    const conn = new FakeConn();
    const obs = recorder();
    watchTraffic({ conn } as never, obs);
    conn.parser.emit('esl::event', event('CHANNEL_EXECUTE_COMPLETE'), { 'Content-Type': 'text/event-json', 'Content-Length': 5000 }, '{}');
    conn.parser.emit('esl::event', event('DTMF'), { 'Content-Type': 'text/event-json', 'Content-Length': 700 }, '{}');
    conn.parser.emit('esl::event', event('x'), { 'Content-Type': 'command/reply' });
    conn.send('sendmsg 1234', { 'execute-app-name': 'playback' });
    conn.send('api uuid_break 1234 all');
    expect(obs.got).toEqual(['CHANNEL_EXECUTE_COMPLETE', 'DTMF', 'command/reply']);
    expect(obs.bytes).toBe(5700);
    expect(obs.sentNames).toEqual(['execute playback', 'api uuid_break']);
    // The command still goes out, with its arguments, on the real connection.
    expect(conn.written).toEqual([{ command: 'sendmsg 1234', args: { 'execute-app-name': 'playback' } }, { command: 'api uuid_break 1234 all' }]);
    conn.socket!.bytesRead = 123_456;
    conn.socket!.bytesWritten = 789;
    conn.socket!.emit('close');
    expect(obs.closes).toEqual([[123_456, 789]]);
  });

  it('an endpoint whose socket is already gone is left alone', () => {
    const obs = recorder();
    expect(() => watchTraffic({ conn: null } as never, obs)).not.toThrow();
    expect(() => trimSubscription({ conn: null } as never)).not.toThrow();
  });

  it('drops the events no leg uses with one nixevent that awaits its reply, CUSTOM and its subclass last', () => {
    const conn = new FakeConn();
    trimSubscription({ conn } as never);
    expect(conn.recv).toHaveLength(1);
    const words = conn.recv[0]!.split(' ');
    expect(words[0]).toBe('nixevent');
    expect(words.slice(-2)).toEqual(['CUSTOM', 'conference::maintenance']);
    // What a leg needs stays subscribed: execute results, the hangup, DTMF.
    for (const kept of ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_CALLSTATE', 'DTMF']) expect(words).not.toContain(kept);
    for (const dropped of ['CHANNEL_EXECUTE', 'PLAYBACK_START', 'PLAYBACK_STOP']) expect(UNUSED_EVENTS).toContain(dropped);
  });

  it('writes each command in one piece, fsmrf\'s subscription cut to what a leg uses, sendmsg for the own channel without its uuid', () => {
    const fsmrfSubscription = 'event json CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_PROGRESS_MEDIA CHANNEL_CALLSTATE CHANNEL_ANSWER DTMF DETECTED_TONE SWITCH_EVENT_PLAYBACK_START SWITCH_EVENT_PLAYBACK_STOP CUSTOM conference::maintenance BACKGROUND_JOB';
    expect(compactCommand(fsmrfSubscription, undefined, 'u-1')).toBe(`${SUBSCRIPTION}\n\n`);
    expect(SUBSCRIPTION).toBe('event json CHANNEL_EXECUTE_COMPLETE CHANNEL_CALLSTATE DTMF');
    const exec = { 'execute-app-name': 'playback', 'execute-app-arg': '/p/a.wav', 'call-command': 'execute', 'Event-UUID': 'e-1', async: true };
    expect(compactCommand('sendmsg u-1', exec, 'u-1')).toBe('sendmsg\nexecute-app-name: playback\nexecute-app-arg: /p/a.wav\ncall-command: execute\nEvent-UUID: e-1\nasync: true\n\n');
    // Another channel's uuid (or none known yet) stays.
    expect(compactCommand('sendmsg u-2', exec, 'u-1').startsWith('sendmsg u-2\n')).toBe(true);
    expect(compactCommand('sendmsg u-2', exec, undefined).startsWith('sendmsg u-2\n')).toBe(true);
    expect(compactCommand('api uuid_break u-1 all', undefined, 'u-1')).toBe('api uuid_break u-1 all\n\n');
    expect(compactCommand('filter Unique-ID u-1', undefined, 'u-1')).toBe('filter Unique-ID u-1\n\n');
  });

  it('takes a connection over as it opens: one write per command, counted; observer read at each use; a closed socket is an error event', () => {
    const conn = new FakeConn();
    const attached: { obs?: ReturnType<typeof recorder> } = {};
    tuneConnection(conn as never, () => attached.obs);
    conn.send('event json CHANNEL_EXECUTE DTMF BACKGROUND_JOB'); // before metrics are attached: written, not counted
    const obs = (attached.obs = recorder());
    conn.info = { getHeader: (h: string) => (h === 'Unique-ID' ? 'u-1' : undefined) };
    conn.send('sendmsg u-1', { 'call-command': 'execute', 'execute-app-name': 'hangup' });
    conn.parser.emit('esl::event', event('CHANNEL_EXECUTE_COMPLETE'), { 'Content-Type': 'text/event-json', 'Content-Length': 900 }, '{}');
    conn.send('event json CUSTOM sofia::register'); // a later subscription is someone's own: left as it is
    expect(conn.chunks).toEqual([`${SUBSCRIPTION}\n\n`, 'sendmsg\ncall-command: execute\nexecute-app-name: hangup\n\n', 'event json CUSTOM sofia::register\n\n']);
    expect(obs.sentNames).toEqual(['execute hangup', 'event']);
    expect(obs.got).toEqual(['CHANNEL_EXECUTE_COMPLETE']);
    const errors: unknown[] = [];
    conn.on('error', (e) => errors.push(e));
    const sock = conn.socket!;
    sock.bytesRead = 5000;
    sock.emit('close');
    conn.socket = null;
    conn.send('api uuid_break u-1 all');
    expect(errors).toHaveLength(1);
    expect(obs.closes).toEqual([[5000, 0]]);
  });

  it('the shared socket (MEDIA_CONTROL=shared) writes each command in one piece, uuid and subscriptions as they are', () => {
    const conn = new FakeConn();
    const obs = recorder();
    watchShared(conn as never, () => obs);
    conn.send('event json CHANNEL_EXECUTE_COMPLETE DTMF HEARTBEAT');
    conn.send('sendmsg u-1', { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': '/p/a.wav' });
    expect(conn.chunks).toEqual(['event json CHANNEL_EXECUTE_COMPLETE DTMF HEARTBEAT\n\n', 'sendmsg u-1\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /p/a.wav\n\n']);
    expect(obs.sentNames).toEqual(['event', 'execute playback']);
    conn.parser.emit('esl::event', event('DTMF'), { 'Content-Type': 'text/event-json', 'Content-Length': 300 }, '{}');
    expect(obs.got).toEqual(['DTMF']);
    const errors: unknown[] = [];
    conn.on('error', (e) => errors.push(e));
    conn.socket = null;
    conn.send('api uuid_break u-1 all');
    expect(errors).toHaveLength(1);
  });

  it('metrics count the traffic per event, command and direction', async () => {
    const m = new ApiMetrics();
    const obs = m.eslObserver();
    obs.received('CHANNEL_EXECUTE_COMPLETE', 4000);
    obs.received('CHANNEL_EXECUTE_COMPLETE', 1000);
    obs.sent('execute playback');
    obs.closed(10_000, 300);
    const text = await m.registry.metrics();
    expect(text).toContain('hotline_esl_received_total{event="CHANNEL_EXECUTE_COMPLETE"} 2');
    expect(text).toContain('hotline_esl_received_body_bytes_total 5000');
    expect(text).toContain('hotline_esl_sent_total{command="execute playback"} 1');
    expect(text).toContain('hotline_esl_socket_bytes_total{direction="in"} 10000');
    expect(text).toContain('hotline_esl_sockets_closed_total 1');
  });
});
