import { constants } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FlowError } from './errors.js';
import type { Issue } from './issues.js';
import type { ProjectSources, TextFile } from './validate.js';

/**
 * Reads a flows directory from disk into `ProjectSources` (the only fs-touching part besides watch.ts).
 * Layout: `<dir>/*.yaml|yml|json` flows, `<dir>/queues.yaml`, `<dir>/calendars/*.yaml`,
 * `<dir>/prompts/prompts.yaml` and `<dir>/prompts/<language>/<id>.wav`.
 *
 * Whatever sits in the directory is read defensively, because an admin's editor, a stray `mkfifo` or a broken
 * symlink must not hang or crash the server: only regular files are read (a symlink only when it resolves to
 * one), opened non-blocking and checked again on the open descriptor (so a FIFO swapped in between cannot block
 * the read), and never more than MAX_FILE_BYTES. What is skipped is reported per file, and the rest is read.
 */
const FLOW_EXT = /\.(ya?ml|json)$/;
const NOT_FLOWS = new Set(['queues.yaml', 'queues.yml', 'flow.schema.json']);

/** A flow file is a few KiB; this bounds what one file can cost the reader and the validator. */
export const MAX_FILE_BYTES = 512 * 1024;

/** Editors' scratch, lock and backup files (emacs `.#x`, vim `.x.swp` and its `4913` probe, `x~`): never flows. */
export function isScratchName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /\.(swp|swx|swo|tmp|bak|orig)$/.test(name) || name === '4913' || name.startsWith('#');
}

export type ReadOutcome = { ok: true; file: TextFile } | { ok: false; issue: Issue };

function fileIssue(file: string, severity: Issue['severity'], rule: string, message: string): Issue {
  return { file, line: 1, column: 1, severity, rule, message };
}

function kind(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function errCode(e: unknown): string | undefined {
  return e && typeof e === 'object' && 'code' in e ? String((e).code) : undefined;
}

/**
 * One file, safely: `skipSeverity` says how a non-regular entry is reported (a warning while scanning a directory,
 * where it is simply not part of the set; an error when the admin named it).
 */
export async function readRegularFile(file: string, skipSeverity: Issue['severity'] = 'warning'): Promise<ReadOutcome> {
  let link;
  try {
    link = await lstat(file);
  } catch (e) {
    return { ok: false, issue: fileIssue(file, 'error', 'unreadable', `cannot read: ${errCode(e) ?? String(e)}`) };
  }
  if (link.isSymbolicLink()) {
    try {
      link = await stat(file);
    } catch (e) {
      const code = errCode(e);
      const why = code === 'ELOOP' ? 'a symbolic link loop' : code === 'ENOENT' ? 'a dangling symbolic link' : `a symbolic link that cannot be followed (${code ?? String(e)})`;
      return { ok: false, issue: fileIssue(file, skipSeverity, 'not-a-file', `skipped: ${why}`) };
    }
  }
  if (!link.isFile()) return { ok: false, issue: fileIssue(file, skipSeverity, 'not-a-file', `skipped: ${kind(link)}, not a regular file`) };
  let fh;
  try {
    // O_NONBLOCK: if the entry was replaced by a FIFO since the stat above, open() must not wait for a writer.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, issue: fileIssue(file, 'error', 'unreadable', `cannot read: ${errCode(e) ?? String(e)}`) };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, issue: fileIssue(file, skipSeverity, 'not-a-file', `skipped: ${kind(st)}, not a regular file`) };
    if (st.size > MAX_FILE_BYTES) return { ok: false, issue: fileIssue(file, 'error', 'file-too-large', `file is ${st.size} bytes; at most ${MAX_FILE_BYTES} bytes (512 KiB) are read`) };
    // Read at most one byte past the limit, so a file growing while read cannot make us read without bound.
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n >= buf.length) break;
    }
    if (n > MAX_FILE_BYTES) return { ok: false, issue: fileIssue(file, 'error', 'file-too-large', `file is over ${MAX_FILE_BYTES} bytes (512 KiB); at most that is read`) };
    return { ok: true, file: { file, text: buf.subarray(0, n).toString('utf8') } };
  } catch (e) {
    return { ok: false, issue: fileIssue(file, 'error', 'unreadable', `cannot read: ${errCode(e) ?? String(e)}`) };
  } finally {
    await fh.close();
  }
}

/** The first `max` bytes of a regular file (never a FIFO or device: O_NONBLOCK, fstat first); undefined otherwise. */
async function readHead(file: string, max: number): Promise<Buffer | undefined> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) return undefined;
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function promptFiles(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const lang of await list(join(root, 'prompts'))) {
    for (const f of await list(join(root, 'prompts', lang))) if (f.endsWith('.wav') && !isScratchName(f)) out.add(`${lang}/${f}`);
  }
  return out;
}

/**
 * Lengths of the prompt files (ms) from their WAV headers: the first 4 KiB of each, through the same safe reader as
 * the flows (regular files only, bounded). A file whose header cannot be read has no length (counted as 0).
 */
async function promptLengths(root: string, files: ReadonlySet<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const f of files) {
    const head = await readHead(join(root, 'prompts', f), 4096).catch(() => undefined);
    const ms = head ? wavMs(head) : undefined;
    if (ms !== undefined) out.set(f, ms);
  }
  return out;
}

/** Length of a PCM WAV in ms from its RIFF chunks ('fmt ' byte rate, 'data' size); undefined when not a WAV. */
export function wavMs(b: Buffer): number | undefined {
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let byteRate = 0;
  for (let off = 12; off + 8 <= b.length; ) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ' && off + 20 <= b.length) byteRate = b.readUInt32LE(off + 16);
    if (id === 'data') return byteRate > 0 ? Math.round((size / byteRate) * 1000) : undefined;
    off += 8 + size + (size % 2);
  }
  return undefined;
}

/** Everything in a flows directory; throws FLOWS_DIR_NOT_FOUND when `dir` is not a readable directory. */
export async function loadDir(dir: string): Promise<ProjectSources> {
  const st = await stat(dir).catch((e: unknown) => errCode(e) ?? String(e));
  if (typeof st === 'string' || !st.isDirectory()) {
    const why = typeof st === 'string' ? (st === 'ENOENT' ? 'no such directory' : st) : 'not a directory';
    throw new FlowError('FLOWS_DIR_NOT_FOUND', `flows directory ${dir}: ${why}`, { dir });
  }
  const names = await list(dir);
  const skipped: Issue[] = [];
  const read = async (file: string): Promise<TextFile | undefined> => {
    const r = await readRegularFile(file);
    if (r.ok) return r.file;
    skipped.push(r.issue);
    return undefined;
  };
  const flows: TextFile[] = [];
  for (const n of names) {
    if (!FLOW_EXT.test(n) || NOT_FLOWS.has(n) || isScratchName(n)) continue;
    const f = await read(join(dir, n));
    if (f) flows.push(f);
  }
  const calendars: TextFile[] = [];
  for (const n of await list(join(dir, 'calendars'))) {
    if (!FLOW_EXT.test(n) || isScratchName(n)) continue;
    const f = await read(join(dir, 'calendars', n));
    if (f) calendars.push(f);
  }
  const q = names.find((n) => n === 'queues.yaml' || n === 'queues.yml');
  const catalog = join(dir, 'prompts', 'prompts.yaml');
  const files = await promptFiles(dir);
  return {
    flows,
    queues: q ? await read(join(dir, q)) : undefined,
    calendars,
    promptCatalog: (await exists(catalog)) ? await read(catalog) : undefined,
    promptFiles: files,
    promptMs: await promptLengths(dir, files),
    promptDir: join(resolve(dir), 'prompts'),
    skipped,
  };
}

/** The flows directory a file belongs to: the nearest ancestor holding queues.yaml or prompts/. */
export async function findRoot(file: string): Promise<string> {
  let dir = dirname(file);
  for (let i = 0; i < 6; i++) {
    if ((await exists(join(dir, 'queues.yaml'))) || (await exists(join(dir, 'prompts')))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dirname(file);
}

type Role = 'flow' | 'calendar' | 'queues' | 'catalog';

function roleOf(f: TextFile): Role {
  if (basename(dirname(f.file)) === 'calendars' || /^\s*seasons\s*:/m.test(f.text)) return 'calendar';
  if (/^queues\.ya?ml$/.test(basename(f.file)) || /^\s*queues\s*:/m.test(f.text)) return 'queues';
  if (!/^\s*nodes\s*:/m.test(f.text) && /^\s*prompts\s*:/m.test(f.text) && !/^\s*version\s*:/m.test(f.text)) return 'catalog';
  return 'flow';
}

export interface Check {
  sources: ProjectSources;
  /** Only these files' issues are reported (undefined: all). */
  report: Set<string> | undefined;
}

/**
 * What `acd flows validate PATH...` checks: a directory as a whole; named files together with their flows
 * directory's queues, calendars and prompts (a named calendar or queues file replaces the directory's).
 */
export async function loadForPaths(paths: string[]): Promise<Check[]> {
  const checks: Check[] = [];
  const byRoot = new Map<string, TextFile[]>();
  // A named path that cannot be read (a FIFO, a device, a dangling link, no permission) is one located error
  // line for that path; the other paths are still checked.
  const unreadable: Issue[] = [];
  for (const p of paths) {
    const st = await lstat(p).catch(() => undefined);
    if (!st) throw new FlowError('FLOW_PATH_NOT_FOUND', `${p}: no such file or directory`, { path: p });
    const target = st.isSymbolicLink() ? await stat(p).catch(() => undefined) : st;
    if (target?.isDirectory()) {
      checks.push({ sources: await loadDir(p), report: undefined });
      continue;
    }
    const r = await readRegularFile(p, 'error');
    if (!r.ok) {
      unreadable.push(r.issue);
      continue;
    }
    const root = await findRoot(p);
    byRoot.set(root, [...(byRoot.get(root) ?? []), r.file]);
  }
  for (const [root, files] of byRoot) {
    const base = await loadDir(root);
    const named = files.map((f) => ({ f, role: roleOf(f) }));
    const flows = named.filter((n) => n.role === 'flow').map((n) => n.f);
    const cals = named.filter((n) => n.role === 'calendar').map((n) => n.f);
    const calNames = new Set(cals.map((c) => basename(c.file)));
    checks.push({
      sources: {
        ...base,
        flows,
        calendars: [...base.calendars.filter((c) => !calNames.has(basename(c.file))), ...cals],
        queues: named.find((n) => n.role === 'queues')?.f ?? base.queues,
        promptCatalog: named.find((n) => n.role === 'catalog')?.f ?? base.promptCatalog,
      },
      report: new Set(files.map((f) => f.file)),
    });
  }
  if (unreadable.length > 0) {
    checks.push({ sources: { flows: [], calendars: [], promptFiles: new Set(), promptDir: '', skipped: unreadable }, report: undefined });
  }
  return checks;
}
