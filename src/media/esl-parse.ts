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
      case 'text/event-json':
        try {
          data = JSON.parse(body as string) as Record<string, unknown>;
          if (data['Content-Length']) data['Content-Length'] = parseInt(data['Content-Length'] as string, 10);
        } catch (e) {
          this.emit('error', e);
        }
        break;
      case 'text/event-plain':
        data = this._parsePlainBody(body as string);
        break;
      case 'text/event-xml':
        data = this._parseXmlBody(body as string);
        break;
    }
    // (A JSON body that is not an object takes modesl's own constructor, as before.)
    const event = !data ? eventFromObject(Event, headers, body) : typeof data === 'object' ? eventFromObject(Event, data) : new Event(data);
    const reply = event.getHeader('Reply-Text');
    if (typeof reply === 'string' && reply) {
      if (reply.indexOf('-ERR') === 0) event.addHeader('Modesl-Reply-ERR', reply.substring(5));
      else if (reply.indexOf('+OK') === 0) event.addHeader('Modesl-Reply-OK', reply.substring(4));
    }
    this.emit('esl::event', event, headers, body);
  };
}
