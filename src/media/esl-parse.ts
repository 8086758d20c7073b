/**
 * drachtio-modesl 1.3's event parsing, made linear (docs/capacity.md: the app's CPU per call). Every message FreeSWITCH
 * sends on an event socket goes through modesl's Parser; with MEDIA_CONTROL=shared each call's ~13
 * CHANNEL_EXECUTE_COMPLETE events (several KB of JSON each, every channel variable) cross the one inbound socket. On
 * the load bench's V8 profile the parser was a seventh of the app's busy time, and besides JSON.parse itself two
 * parts were pure waste:
 *
 * - `new Event(data)` adds each of the event's ~200 headers with addHeader(), which first searches the headers added
 *   so far for the same name (a linear scan): quadratic in the header count, though the names of a parsed JSON object
 *   (or of the header object Parser builds) are distinct already. Here the same Event is built in one pass: the same
 *   headers in the same order, type, subclass and body.
 * - each envelope header line is split and re-joined and URI-decoded even where it holds no `%`.
 *
 * The replacements keep the originals' results exactly (what they return, emit and throw); only the work differs.
 * Applied to modesl's prototypes, so fsmrf's endpoint sockets and the shared inbound socket both get it.
 */

/** What modesl's Event is built from and carries (lib/esl/Event.js). */
interface EslEventShape {
  headers: { name: string; value: unknown }[];
  hPtr: number | null;
  type: unknown;
  subclass: unknown;
  body: unknown;
  getHeader(name: string): unknown;
  addHeader(name: string, value: unknown): unknown;
}

type EventCtor = new (type?: unknown, subclass?: unknown) => EslEventShape;

interface ParserProto {
  _parseHeaderText(txt: string): Record<string, string | number>;
  _parseEvent(headers: Record<string, unknown>, body?: string): void;
  _parsePlainBody(txt: string): Record<string, unknown>;
  _parseXmlBody(txt: string): Record<string, unknown>;
  emit(event: string, ...args: unknown[]): unknown;
  __hotlineLinear?: boolean;
}

/**
 * modesl's Event from a headers object (`new Event(obj, body)`), in one pass: the object's keys are distinct, so
 * addHeader's search for an existing header always failed and every header was appended in Object.keys order.
 */
export function eventFromObject(Event: EventCtor, obj: Record<string, unknown>, body?: string): EslEventShape {
  const evt = Object.create(Event.prototype as object) as EslEventShape;
  const headers: { name: string; value: unknown }[] = [];
  evt.headers = headers;
  evt.hPtr = null;
  evt.type = obj['Event-Name'];
  evt.subclass = obj['Event-Subclass'];
  evt.body = body || obj['_body'] || '';
  for (const key of Object.keys(obj)) {
    if (key === '_body') continue;
    headers.push({ name: key, value: obj[key] });
  }
  return evt;
}

/** What readJsonHeader says of a value it cannot take from the text as is (not a string, or a name it cannot look up). */
const UNREADABLE = Symbol('unreadable');

/** Header names looked up in the raw text: ones cJSON writes as they are (no escapes) and no JSON text can fake. */
const PLAIN_NAME = /^[A-Za-z0-9_.:-]+$/;

function isWhite(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * One top-level header of a FreeSWITCH JSON event (an object of string values), read from its text without parsing it
 * all: the value JSON.parse would give (the last `"name":` key, as JSON.parse keeps the last of duplicates), null when
 * the event has no such key, UNREADABLE when the value is not a string or the name is not a plain one (then the
 * caller parses the whole). A quote in JSON text is a string's delimiter unless escaped, so a `"name"` followed by `:`
 * and not preceded by an escaping backslash is a key: never text inside a value.
 */
export function readJsonHeader(raw: string, name: string): string | null | typeof UNREADABLE {
  if (!PLAIN_NAME.test(name)) return UNREADABLE;
  const needle = `"${name}"`;
  let at = raw.lastIndexOf(needle);
  while (at !== -1) {
    let i = at + needle.length;
    while (i < raw.length && isWhite(raw.charCodeAt(i))) i++;
    let escaped = false;
    for (let b = at - 1; b >= 0 && raw.charCodeAt(b) === 0x5c; b--) escaped = !escaped;
    if (!escaped && raw.charCodeAt(i) === 0x3a /* : */) {
      i++;
      while (i < raw.length && isWhite(raw.charCodeAt(i))) i++;
      if (raw.charCodeAt(i) !== 0x22 /* " */) return UNREADABLE;
      const start = i + 1;
      let end = raw.indexOf('"', start);
      let hasEscape = false;
      for (;;) {
        if (end === -1) return UNREADABLE;
        let odd = false;
        for (let b = end - 1; b >= start && raw.charCodeAt(b) === 0x5c; b--) odd = !odd;
        if (!odd) break;
        hasEscape = true;
        end = raw.indexOf('"', end + 1);
      }
      const text = raw.slice(start, end);
      if (!hasEscape && !text.includes('\\')) return text;
      return JSON.parse(raw.slice(start - 1, end + 1)) as string;
    }
    at = at === 0 ? -1 : raw.lastIndexOf(needle, at - 1);
  }
  return null;
}

/** The JSON event's headers, parsed as modesl's Parser does (Content-Length a number). */
function parseJsonEvent(body: string): Record<string, unknown> {
  const data = JSON.parse(body) as Record<string, unknown>;
  if (data['Content-Length']) data['Content-Length'] = parseInt(data['Content-Length'] as string, 10);
  return data;
}

/**
 * A `text/event-json` event whose headers are read from its text when asked for (getHeader), the text parsed only if
 * something needs the whole (its `headers`, an unreadable value). On the shared socket an event's readers ask for a
 * few of its ~200 headers (Event-Name, Unique-ID, Application-UUID, the application's result): JSON.parse of every
 * event's several KB was the app's largest single cost on the load bench. Undefined where the text is not a JSON
 * object, or a header the constructor reads is not a plain string: the caller parses it whole then, as modesl does.
 */
export function lazyJsonEvent(Event: EventCtor, raw: string, onInvalid?: (err: unknown) => { name: string; value: unknown }[]): EslEventShape | undefined {
  let first = 0;
  while (first < raw.length && isWhite(raw.charCodeAt(first))) first++;
  if (raw.charCodeAt(first) !== 0x7b /* { */) return undefined;
  const type = readJsonHeader(raw, 'Event-Name');
  const subclass = readJsonHeader(raw, 'Event-Subclass');
  const body = readJsonHeader(raw, '_body');
  if (type === UNREADABLE || subclass === UNREADABLE || body === UNREADABLE) return undefined;
  const proto = Event.prototype as EslEventShape;
  const evt = Object.create(proto) as EslEventShape;
  let full = false;
  const materialize = (): { name: string; value: unknown }[] => {
    let data: Record<string, unknown>;
    try {
      data = parseJsonEvent(raw);
    } catch (err) {
      // Text FreeSWITCH never writes (cJSON's output parses): as modesl, an 'error' and the envelope's headers instead.
      if (onInvalid) return onInvalid(err);
      throw err;
    }
    const headers: { name: string; value: unknown }[] = [];
    for (const key of Object.keys(data)) if (key !== '_body') headers.push({ name: key, value: data[key] });
    return headers;
  };
  Object.defineProperty(evt, 'headers', {
    configurable: true,
    enumerable: true,
    get(this: EslEventShape) {
      const headers = materialize();
      full = true;
      Object.defineProperty(this, 'headers', { value: headers, writable: true, configurable: true, enumerable: true });
      return headers;
    },
    set(this: EslEventShape, v: { name: string; value: unknown }[]) {
      full = true;
      Object.defineProperty(this, 'headers', { value: v, writable: true, configurable: true, enumerable: true });
    },
  });
  evt.hPtr = null;
  // As `new Event(data)`: type and subclass undefined when absent, body the `_body` or ''.
  evt.type = type ?? undefined;
  evt.subclass = subclass ?? undefined;
  evt.body = body || '';
  Object.defineProperty(evt, 'getHeader', {
    configurable: true,
    writable: true,
    enumerable: false,
    value(this: EslEventShape, name: string): unknown {
      if (full || name === '_body') return proto.getHeader.call(this, name);
      let v: ReturnType<typeof readJsonHeader>;
      try {
        v = readJsonHeader(raw, name);
      } catch {
        v = UNREADABLE; // a malformed escape: the whole text's parse decides (materialize)
      }
      if (v === UNREADABLE) return proto.getHeader.call(this, name);
      if (v !== null && name === 'Content-Length' && v) return parseInt(v, 10);
      return v;
    },
  });
  return evt;
}

/** modesl's Parser#_parseHeaderText: `Key: value` lines, values URI-decoded, Content-Length a number. */
export function parseHeaderText(txt: string): Record<string, string | number> {
  const headers: Record<string, string | number> = {};
  for (const line of txt.split('\n')) {
    const at = line.indexOf(': ');
    const key = at === -1 ? line : line.slice(0, at);
    const raw = at === -1 ? '' : line.slice(at + 2);
    // decodeURIComponent only changes (or rejects) text with a `%`; called then, so a malformed escape throws as before.
    const value = raw.includes('%') ? decodeURIComponent(raw) : raw;
    headers[key] = key === 'Content-Length' ? parseInt(value, 10) : value;
  }
  return headers;
}

/**
 * Install the linear parsing on modesl's Parser (once per module instance). `modesl` is the drachtio-modesl the
 * caller's fsmrf uses: its Parser and Event modules.
 */
export function linearEslParsing(Parser: { prototype: unknown }, Event: EventCtor): void {
  const proto = Parser.prototype as ParserProto;
  if (proto.__hotlineLinear) return;
  proto.__hotlineLinear = true;
  proto._parseHeaderText = parseHeaderText;
  // As modesl's Parser#_parseEvent (lib/esl/Parser.js), the Event built by eventFromObject.
  proto._parseEvent = function (this: ParserProto, headers: Record<string, unknown>, body?: string): void {
    let data: Record<string, unknown> | undefined | null;
    switch (headers['Content-Type']) {
      case 'text/event-json': {
        const lazy =
          typeof body === 'string'
            ? lazyJsonEvent(Event, body, (err) => {
                this.emit('error', err);
                return eventFromObject(Event, headers, body).headers;
              })
            : undefined;
        if (lazy) {
          emitEvent(this, lazy, headers, body);
          return;
        }
        try {
          data = parseJsonEvent(body as string);
        } catch (e) {
          this.emit('error', e);
        }
        break;
      }
      case 'text/event-plain':
        data = this._parsePlainBody(body as string);
        break;
      case 'text/event-xml':
        data = this._parseXmlBody(body as string);
        break;
    }
    // (A JSON body that is not an object takes modesl's own constructor, as before.)
    const event = !data ? eventFromObject(Event, headers, body) : typeof data === 'object' ? eventFromObject(Event, data) : new Event(data);
    emitEvent(this, event, headers, body);
  };
}

/** The end of modesl's _parseEvent: a reply's +OK / -ERR as its own header, then the event out. */
function emitEvent(parser: ParserProto, event: EslEventShape, headers: Record<string, unknown>, body: string | undefined): void {
  const reply = event.getHeader('Reply-Text');
  if (typeof reply === 'string' && reply) {
    if (reply.indexOf('-ERR') === 0) event.addHeader('Modesl-Reply-ERR', reply.substring(5));
    else if (reply.indexOf('+OK') === 0) event.addHeader('Modesl-Reply-OK', reply.substring(4));
  }
  parser.emit('esl::event', event, headers, body);
}
