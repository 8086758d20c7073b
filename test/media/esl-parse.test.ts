import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { eventFromObject, linearEslParsing, parseHeaderText } from '../../src/media/esl-parse.js';

const fsmrfRequire = createRequire(createRequire(import.meta.url).resolve('drachtio-fsmrf'));
const Parser = fsmrfRequire('drachtio-modesl/lib/esl/Parser');
const Event = fsmrfRequire('drachtio-modesl/lib/esl/Event');
// modesl's own, kept before the test installs the linear ones.
const originalHeaderText = Parser.prototype._parseHeaderText as (txt: string) => Record<string, unknown>;
const originalParseEvent = Parser.prototype._parseEvent as (h: Record<string, unknown>, b?: string) => void;

function bigEvent(): Record<string, string> {
  const h: Record<string, string> = { 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Core-UUID': 'core', 'Unique-ID': 'chan-1', 'Application': 'playback', 'Application-UUID': 'ev-1', 'Application-Response': 'FILE PLAYED' };
  for (let i = 0; i < 200; i++) h[`variable_v${i}`] = `value ${i}: with text`;
  h['variable_playback_seconds'] = '5';
  return h;
}

/** Messages as FreeSWITCH writes them, through a Parser; the events it emits, as plain data. */
function parseAll(chunks: Buffer[]): unknown[] {
  const socket = new EventEmitter();
  const parser = new Parser(socket);
  const out: unknown[] = [];
  parser.on('esl::event', (evt: { headers: unknown; type: unknown; subclass: unknown; body: unknown }, headers: unknown, body: unknown) => {
    out.push({ headers: evt.headers, type: evt.type, subclass: evt.subclass, body: evt.body, envelope: headers, raw: body, proto: Object.getPrototypeOf(evt) === Event.prototype });
  });
  parser.on('error', (e: Error) => out.push({ error: e.message }));
  for (const c of chunks) socket.emit('data', c);
  return out;
}

function wire(): Buffer[] {
  const json = JSON.stringify(bigEvent());
  const custom = JSON.stringify({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'x::y', 'Content-Length': '5', _body: 'hello' });
  const text = [
    'Content-Type: auth/request\n\n',
    'Content-Type: command/reply\nReply-Text: +OK accepted\n\n',
    'Content-Type: command/reply\nReply-Text: -ERR invalid\n\n',
    `Content-Type: api/response\nContent-Length: 14\n\n+OK Job-UUID 1`,
    `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`,
    `Content-Length: ${Buffer.byteLength(custom)}\nContent-Type: text/event-json\n\n${custom}`,
    'Content-Length: 9\nContent-Type: text/event-json\n\n{broken}}',
    'Content-Length: 38\nContent-Type: text/event-plain\n\nEvent-Name: DTMF\nDTMF-Digit: %23\n\n',
    'Content-Type: text/disconnect-notice\nX-Odd: a%20b: c\nno-colon-line\n\n',
  ].join('');
  const all = Buffer.from(text);
  // In pieces that split headers and bodies, as TCP may.
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += 97) chunks.push(all.subarray(o, o + 97));
  return chunks;
}

describe('linear modesl parsing (esl-parse.ts)', () => {
  it('builds the same Event as modesl\'s constructor, in one pass', () => {
    const data = bigEvent();
    const mine = eventFromObject(Event, data);
    expect(mine).toEqual(new Event(data));
    expect(mine.getHeader('variable_playback_seconds')).toBe('5');
    const withBody = { 'Content-Type': 'api/response', 'Content-Length': 3 };
    expect(eventFromObject(Event, withBody, '+OK')).toEqual(new Event(withBody, '+OK'));
    const ownBody = { 'Event-Name': 'CUSTOM', _body: 'text' };
    expect(eventFromObject(Event, ownBody)).toEqual(new Event(ownBody));
  });

  it('reads envelope headers as modesl does', () => {
    for (const txt of ['Content-Type: text/event-json\nContent-Length: 1234', 'Reply-Text: +OK a: b%20c', 'odd', '', 'K: ', 'Content-Length: 0x1F']) {
      expect(parseHeaderText(txt)).toEqual(originalHeaderText(txt));
    }
    expect(() => parseHeaderText('K: %E0%A4%A')).toThrow(URIError);
    expect(() => originalHeaderText('K: %E0%A4%A')).toThrow(URIError);
  });

  it('emits the same events for the same bytes once installed', () => {
    const before = parseAll(wire());
    linearEslParsing(Parser, Event);
    expect(Parser.prototype._parseEvent).not.toBe(originalParseEvent);
    const after = parseAll(wire());
    expect(after).toEqual(before);
    expect(after.length).toBeGreaterThan(8);
    // Installing twice changes nothing.
    const installed = Parser.prototype._parseEvent as unknown;
    linearEslParsing(Parser, Event);
    expect(Parser.prototype._parseEvent).toBe(installed);
  });
});
