import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ApiMetrics } from '../../src/api/metrics.js';
import { UNUSED_EVENTS, commandName, trimSubscription, watchTraffic, type EslTrafficObserver } from '../../src/media/esl-socket.js';

/** A stand-in for modesl's outbound Connection: the parser's events, the written commands, the socket's byte counts. */
class FakeConn {
  readonly parser = new EventEmitter();
  readonly socket = Object.assign(new EventEmitter(), { bytesRead: 0, bytesWritten: 0 });
  readonly written: Array<{ command: string; args?: Record<string, unknown> }> = [];
  readonly recv: string[] = [];
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
    conn.socket.bytesRead = 123_456;
    conn.socket.bytesWritten = 789;
    conn.socket.emit('close');
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
