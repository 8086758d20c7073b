import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventFromObject, lazyJsonEvent, linearEslParsing, parseHeaderText, readJsonHeader } from '../../src/media/esl-parse.js';

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
    'Content-Length: 38\nContent-Type: text/event-plain\n\nEvent-Name: DTMF\nDTMF-Digit: %23\n\n',
    'Content-Type: text/disconnect-notice\nX-Odd: a%20b: c\nno-colon-line\n\n',
  ].join('');
  const all = Buffer.from(text);
  // In pieces that split headers and bodies, as TCP may.
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += 97) chunks.push(all.subarray(o, o + 97));
  return chunks;
}

/** modesl's own Event of a JSON body, as its Parser builds it. */
function eager(raw: string): ReturnType<typeof eventFromObject> {
  const data = JSON.parse(raw) as Record<string, unknown>;
  if (data['Content-Length']) data['Content-Length'] = parseInt(data['Content-Length'] as string, 10);
  return new Event(data) as ReturnType<typeof eventFromObject>;
}

describe('lazy JSON events (esl-parse.ts)', () => {
  const tricky = JSON.stringify({
    'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
    'Unique-ID': 'u-1',
    'Application': 'Unique-ID',
    'variable_a': 'has "Unique-ID":"fake" inside, and \\"Application-UUID":"x',
    'variable_b': 'tab\tnew\nline \u00e9 é ☎ \\',
    'variable_arr': ['a', 'b'],
    'variable_num': 5,
    'Content-Length': '11',
    'Application-UUID': 'ev-9',
    'variable_empty': '',
    _body: 'the body',
  });

  it('reads each header as JSON.parse would, without parsing the whole', () => {
    const lazy = lazyJsonEvent(Event, tricky)!;
    const full = eager(tricky);
    for (const name of ['Event-Name', 'Unique-ID', 'Application', 'variable_a', 'variable_b', 'variable_arr', 'variable_num', 'Content-Length', 'Application-UUID', 'variable_empty', '_body', 'Job-UUID', 'Reply-Text', 'fake', 'x', 'has "Unique-ID']) {
      expect(lazy.getHeader(name)).toEqual(full.getHeader(name));
    }
    expect(lazy.type).toBe('CHANNEL_EXECUTE_COMPLETE');
    expect(lazy.body).toBe('the body');
    expect(lazy.headers).toEqual(full.headers);
    expect(readJsonHeader(tricky, 'variable_a')).toBe('has "Unique-ID":"fake" inside, and \\"Application-UUID":"x');
    expect(readJsonHeader(tricky, 'fake')).toBeNull();
  });

  it('becomes modesl\'s own Event once its headers are used whole', () => {
    const lazy = lazyJsonEvent(Event, tricky)!;
    lazy.addHeader('Modesl-Reply-OK', 'x');
    expect(lazy.getHeader('Modesl-Reply-OK')).toBe('x');
    const full = eager(tricky);
    full.addHeader('Modesl-Reply-OK', 'x');
    expect(lazy.headers).toEqual(full.headers);
    expect(lazyJsonEvent(Event, '[1]')).toBeUndefined();
    expect(lazyJsonEvent(Event, JSON.stringify({ 'Event-Name': ['a'] }))).toBeUndefined();
  });

  it('agrees with JSON.parse on any object of FreeSWITCH-like headers', () => {
    const key = fc.oneof(fc.constantFrom('Event-Name', 'Unique-ID', 'Application-UUID', 'Content-Length', 'Reply-Text', '_body', 'variable_x'), fc.string({ minLength: 1, maxLength: 8 }));
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('"Unique-ID":"z"', '\\', '\\"', '12'), fc.integer(), fc.array(fc.string(), { maxLength: 2 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 12 }), fc.boolean(), (pairs, spaced) => {
        const obj = Object.fromEntries(pairs);
        const raw = spaced ? JSON.stringify(obj, null, '\t') : JSON.stringify(obj);
        const full = eager(raw);
        const lazy = lazyJsonEvent(Event, raw);
        if (!lazy) return; // a constructor header that is not a string: parsed whole, as modesl does
        for (const name of [...Object.keys(obj), 'Unique-ID', 'Job-UUID', 'Core-UUID', 'Reply-Text', 'z']) expect(lazy.getHeader(name)).toEqual(full.getHeader(name));
        expect({ type: lazy.type, subclass: lazy.subclass, body: lazy.body }).toEqual({ type: full.type, subclass: full.subclass, body: full.body });
        expect(lazy.headers).toEqual(full.headers);
      }),
      { numRuns: 400 },
    );
  });
});

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
    expect(after.length).toBe(8);
    // Installing twice changes nothing.
    const installed = Parser.prototype._parseEvent as unknown;
    linearEslParsing(Parser, Event);
    expect(Parser.prototype._parseEvent).toBe(installed);
  });

  it('a JSON body that does not parse: an error and the envelope\'s headers, as modesl (when the event is read)', () => {
    linearEslParsing(Parser, Event);
    const out = parseAll([Buffer.from('Content-Length: 9\nContent-Type: text/event-json\n\n{broken}}')]) as Array<{ headers?: unknown; error?: string }>;
    expect(out.map((o) => ('error' in o ? 'error' : 'event'))).toEqual(['error', 'event']);
    expect(out[1]!.headers).toEqual([
      { name: 'Content-Length', value: 9 },
      { name: 'Content-Type', value: 'text/event-json' },
    ]);
  });
});
