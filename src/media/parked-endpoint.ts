import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';

/**
 * MEDIA_CONTROL=shared (docs/capacity.md): a FreeSWITCH channel that the `drachtio_mrf` dialplan parks instead of
 * handing to an event socket of its own, driven over the media server's one inbound event socket. It has the shape of
 * fsmrf's Endpoint that FsmrfLeg uses, so a leg works the same over either.
 * Why: every per-channel socket is a FreeSWITCH thread polling every 20 ms and reading commands a byte per recv();
 * on the load bench those threads were about a fifth of FreeSWITCH's CPU for the hotline's calls.
 */

/** The header the app's INVITE carries so the dialplan parks the channel, and the one FreeSWITCH answers its uuid in. */
export const PARK_HEADER = 'X-Hotline-Park';
export const UUID_HEADER = 'X-Channel-Uuid';

/** The inbound event socket's surface used here (drachtio-modesl 1.3 Connection, inbound mode). */
export interface SharedEsl {
  execute(app: string, arg: string, uuid: string, cb: (evt: Mrf.EslEvent) => void): unknown;
  api(command: string, args: string | string[], cb: (evt: Mrf.EslEvent) => void): unknown;
  /** Hear one channel's DTMF events until the returned function is called. */
  onDtmf(uuid: string, fn: (evt: Mrf.EslEvent) => void): () => void;
}

/** The inbound Connection's own methods SharedExecutions builds on (drachtio-modesl 1.3). */
export interface EslInbound {
  send(command: string, args?: Record<string, unknown>): void;
  api(command: string, args: string | string[], cb: (evt: Mrf.EslEvent) => void): unknown;
  on(event: string, fn: (evt: Mrf.EslEvent) => void): unknown;
  off(event: string, fn: (evt: Mrf.EslEvent) => void): unknown;
}

/**
 * The shared socket's executes, matched to their CHANNEL_EXECUTE_COMPLETE by one listener and a map. modesl's own
 * execute() (Connection#_doExec) adds a listener named after the channel for every execute and removes it on the
 * result; the Connection is an EventEmitter2 with wildcards, whose listener tree grows a branch for each and prunes it
 * again (recursivelyGarbageCollect): on the load bench's profile that churn was about 4 % of the app's busy time.
 * What goes to FreeSWITCH is what modesl writes: `sendmsg <uuid>` with execute-app-name, execute-app-arg (when given),
 * call-command execute and a fresh Event-UUID; the result is the CHANNEL_EXECUTE_COMPLETE whose Application-UUID (or
 * Event-UUID) is that one, as modesl matches it.
 */
export class SharedExecutions implements SharedEsl {
  private readonly pending = new Map<string, (evt: Mrf.EslEvent) => void>();
  /**
   * Each execute's id (its Event-UUID, which FreeSWITCH hands back as Application-UUID): any text unique among the
   * executes whose results this socket hears. A random prefix per socket (other app instances hear the same parked
   * channels' events) and a counter: at most 14 bytes where a uuid is 36. mod_event_socket reads commands one byte
   * per recv() and yields the CPU after each; on a busy box every byte waits for the scheduler (docs/capacity.md).
   */
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private nextId = 0;
  /**
   * Each channel's DTMF listener, by its uuid, behind one wildcard listener: a listener per channel on the Connection
   * made every channel's end walk the whole eventemitter2 tree (recursivelyGarbageCollect), whose DTMF branch had a
   * leaf per live channel: with ~800 channels up it was 4 % of the app's busy time (docs/capacity.md, long calls).
   */
  private readonly dtmf = new Map<string, (evt: Mrf.EslEvent) => void>();

  constructor(private readonly conn: EslInbound) {
    conn.on('esl::event::CHANNEL_EXECUTE_COMPLETE::*', (evt) => {
      const id = evt.getHeader('Application-UUID') || evt.getHeader('Event-UUID');
      if (!id) return;
      const cb = this.pending.get(id);
      if (!cb) return;
      this.pending.delete(id);
      cb(evt);
    });
    conn.on('esl::event::DTMF::*', (evt) => {
      const uuid = evt.getHeader('Unique-ID');
      if (uuid) this.dtmf.get(uuid)?.(evt);
    });
    // The socket is gone for good (MediaPool makes a new connection): no result will come, as with modesl's listeners.
    conn.on('esl::end', () => this.pending.clear());
  }

  /** Channels whose DTMF is listened to (tests). */
  get dtmfListeners(): number {
    return this.dtmf.size;
  }

  /** Executes sent and not yet reported back (tests). */
  get waiting(): number {
    return this.pending.size;
  }

  execute(app: string, arg: string | undefined, uuid: string, cb: (evt: Mrf.EslEvent) => void): string {
    const id = `${this.idPrefix}${(this.nextId++).toString(36)}`;
    const args: Record<string, unknown> = { 'execute-app-name': app };
    if (arg !== undefined) args['execute-app-arg'] = arg;
    args['call-command'] = 'execute';
    args['Event-UUID'] = id;
    this.pending.set(id, cb);
    this.conn.send(`sendmsg ${uuid}`, args);
    return id;
  }

  api(command: string, args: string | string[], cb: (evt: Mrf.EslEvent) => void): unknown {
    return this.conn.api(command, args, cb);
  }

  onDtmf(uuid: string, fn: (evt: Mrf.EslEvent) => void): () => void {
    this.dtmf.set(uuid, fn);
    return () => {
      if (this.dtmf.get(uuid) === fn) this.dtmf.delete(uuid);
    };
  }
}

export class ParkedEndpoint extends EventEmitter {
  readonly local: { sdp: string };
  private gone = false;
  private readonly stopDtmf: () => void;
  private readonly onDtmf = (evt: Mrf.EslEvent): void => {
    this.emit('dtmf', { dtmf: evt.getHeader('DTMF-Digit'), duration: evt.getHeader('DTMF-Duration'), source: evt.getHeader('DTMF-Source') });
  };
  /** FreeSWITCH ended the channel (its BYE ends our dialog to it): fsmrf's Endpoint says 'destroy' then too. */
  private readonly onBye = (): void => {
    if (this.end()) this.emit('destroy', { reason: 'hangup' });
  };

  constructor(
    readonly uuid: string,
    readonly dialog: Srf.Dialog,
    private readonly esl: SharedEsl,
  ) {
    super();
    this.local = { sdp: dialog.remote.sdp };
    this.stopDtmf = esl.onDtmf(uuid, this.onDtmf);
    dialog.on('destroy', this.onBye);
  }

  get connected(): boolean {
    return !this.gone;
  }

  /** Run an application on the channel; resolves with its CHANNEL_EXECUTE_COMPLETE. */
  execute(app: string, arg = ''): Promise<Mrf.EslEvent> {
    if (this.gone) return Promise.reject(new Error('endpoint no longer active'));
    return new Promise((resolve) => this.esl.execute(app, arg, this.uuid, resolve));
  }

  api(command: string, args: string | string[] = []): Promise<Mrf.EslEvent> {
    if (this.gone) return Promise.reject(new Error('endpoint no longer active'));
    return new Promise((resolve) => this.esl.api(command, args, resolve));
  }

  /** As fsmrf's play() of one file (FsmrfLeg hands several as one file_string://). */
  async play(file: string | string[]): Promise<Mrf.PlayResult> {
    const files = Array.isArray(file) ? file : [file];
    const evt = await this.execute('playback', files.join('!'));
    if (evt.getHeader('Application-Response') === 'FILE NOT FOUND') throw new Error('File Not Found');
    return { playbackSeconds: evt.getHeader('variable_playback_seconds'), playbackMilliseconds: evt.getHeader('variable_playback_ms') };
  }

  /** As fsmrf's playCollect(): play_and_get_digits with the same argument order and defaults. */
  async playCollect(opts: Mrf.PlayCollectOptions): Promise<Mrf.PlayCollectResult> {
    const varName = opts.varName ?? 'myDigitBuffer';
    const args = [
      opts.min ?? 0,
      opts.max ?? 128,
      opts.tries ?? 1,
      opts.timeout ?? 120_000,
      opts.terminators ?? '#',
      opts.file,
      opts.invalidFile ?? 'silence_stream://250',
      varName,
      opts.regexp ?? '\\d+',
      opts.digitTimeout ?? 8000,
    ];
    const evt = await this.execute('play_and_get_digits', args.join(' '));
    const app = evt.getHeader('Application');
    if (app !== 'play_and_get_digits') throw new Error(`Unexpected application: ${String(app)}`);
    return { digits: evt.getHeader(`variable_${varName}`), invalidDigits: evt.getHeader(`variable_${varName}_invalid`), terminatorUsed: evt.getHeader('variable_read_terminator_used') };
  }

  /** As fsmrf's record(). */
  async record(file: string, opts: Mrf.RecordOptions = {}): Promise<Mrf.RecordResult> {
    const args = [opts.timeLimitSecs, opts.silenceThresh, opts.silenceHits].filter((v) => v !== undefined && v !== 0);
    const evt = await this.execute('record', `${file} ${args.join(' ')}`);
    const app = evt.getHeader('Application');
    if (app !== 'record') throw new Error(`Unexpected application in record response: ${String(app)}`);
    return { terminatorUsed: evt.getHeader('variable_playback_terminator_used'), recordSeconds: evt.getHeader('variable_record_seconds'), recordMilliseconds: evt.getHeader('variable_record_ms') };
  }

  async set(param: string, value: string): Promise<void> {
    await this.execute('set', `${param}=${value}`);
  }

  async bridge(other: { uuid: string } | string): Promise<void> {
    const body = (await this.api('uuid_bridge', [this.uuid, typeof other === 'string' ? other : other.uuid])).getBody();
    if (!body.startsWith('+OK')) throw new Error(body);
  }

  async unbridge(): Promise<void> {
    const body = (await this.api('uuid_transfer', [this.uuid, '-both', 'park', 'inline'])).getBody();
    if (!body.startsWith('+OK')) throw new Error(body);
  }

  /** Re-INVITE FreeSWITCH with the far end's new SDP (the trunk's answer); FreeSWITCH's answer becomes ours. */
  async modify(sdp: string): Promise<string> {
    const answer = await this.dialog.modify(sdp);
    this.local.sdp = answer;
    return answer;
  }

  /** Hang the channel up: BYE on our dialog to FreeSWITCH (no 'destroy': that is for the far end's doing). */
  async destroy(): Promise<void> {
    if (!this.end()) return;
    // drachtio-srf's types say void; it returns a Promise when no callback is given.
    await (this.dialog.destroy() as unknown as Promise<unknown>);
  }

  /** Stop listening for this channel; false when that was done already. */
  private end(): boolean {
    if (this.gone) return false;
    this.gone = true;
    this.stopDtmf();
    this.dialog.off('destroy', this.onBye);
    return true;
  }
}
