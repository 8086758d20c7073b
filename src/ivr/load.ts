import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FlowError } from './errors.js';
import type { ProjectSources, TextFile } from './validate.js';

/**
 * Reads a flows directory from disk into `ProjectSources` (the only fs-touching part besides watch.ts).
 * Layout: `<dir>/*.yaml|yml|json` flows, `<dir>/queues.yaml`, `<dir>/calendars/*.yaml`,
 * `<dir>/prompts/prompts.yaml` and `<dir>/prompts/<language>/<id>.wav`.
 */
const FLOW_EXT = /\.(ya?ml|json)$/;
const NOT_FLOWS = new Set(['queues.yaml', 'queues.yml', 'flow.schema.json']);

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

async function text(file: string): Promise<TextFile> {
  return { file, text: await readFile(file, 'utf8') };
}

async function promptFiles(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const lang of await list(join(root, 'prompts'))) {
    for (const f of await list(join(root, 'prompts', lang))) if (f.endsWith('.wav')) out.add(`${lang}/${f}`);
  }
  return out;
}

/** Everything in a flows directory. */
export async function loadDir(dir: string): Promise<ProjectSources> {
  const names = await list(dir);
  const flows: TextFile[] = [];
  for (const n of names) {
    if (!FLOW_EXT.test(n) || NOT_FLOWS.has(n) || n.startsWith('.')) continue;
    if ((await stat(join(dir, n))).isFile()) flows.push(await text(join(dir, n)));
  }
  const calendars: TextFile[] = [];
  for (const n of await list(join(dir, 'calendars'))) if (FLOW_EXT.test(n)) calendars.push(await text(join(dir, 'calendars', n)));
  const q = names.find((n) => n === 'queues.yaml' || n === 'queues.yml');
  const catalog = join(dir, 'prompts', 'prompts.yaml');
  return {
    flows,
    queues: q ? await text(join(dir, q)) : undefined,
    calendars,
    promptCatalog: (await exists(catalog)) ? await text(catalog) : undefined,
    promptFiles: await promptFiles(dir),
    promptDir: join(resolve(dir), 'prompts'),
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
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new FlowError('FLOW_PATH_NOT_FOUND', `${p}: no such file or directory`, { path: p });
    if (st.isDirectory()) {
      checks.push({ sources: await loadDir(p), report: undefined });
      continue;
    }
    const root = await findRoot(p);
    byRoot.set(root, [...(byRoot.get(root) ?? []), await text(p)]);
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
  return checks;
}
