import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { validatePaths } from '../../src/cli/flows.js';
import { formatIssue } from '../../src/ivr/issues.js';
import { publishedFlowSchema } from '../../src/ivr/schema.js';

const FIX = 'test/ivr/fixtures';
const B = `${FIX}/broken`;

async function lines(...paths: string[]): Promise<string[]> {
  return (await validatePaths(paths)).issues.map(formatIssue);
}

// One broken fixture per rule, each with its exact message and location.
const RULES: [string, string[], string[]][] = [
  ['syntax', [`${B}/syntax.yaml`], [`${B}/syntax.yaml:7:1: error: Flow map in block collection must be sufficiently indented and end with a }`]],
  [
    'schema',
    [`${B}/schema.yaml`],
    [
      `${B}/schema.yaml:7:5: error: node "a": missing required field "prompt"`,
      `${B}/schema.yaml:9:5: error: node "a": unknown field "colour"`,
      `${B}/schema.yaml:10:35: error: node "b" field "disposition": must be one of: completed, silent, abandoned, caller-hangup, transferred, after-hours, callback, message, no-match, no-agents, error`,
    ],
  ],
  [
    'schema: node keys, nested fields, types and cross-field checks',
    [`${B}/schema-messages.yaml`],
    [
      `${B}/schema-messages.yaml:10:16: error: node "m" field "options": invalid key "12" (must match ^[0-9*#]$)`,
      `${B}/schema-messages.yaml:10:30: error: node "m" field "options.1": must be string`,
      `${B}/schema-messages.yaml:11:47: error: node "q": unknown field "announce.evrySec"`,
      `${B}/schema-messages.yaml:11:72: error: node "q" field "priority": must be integer`,
      `${B}/schema-messages.yaml:12:56: error: node "c" field "min": min 5 is greater than max 2`,
      `${B}/schema-messages.yaml:12:76: error: node "c" field "pattern": invalid regular expression "(["`,
    ],
  ],
  [
    'schema: the flow frame',
    [`${B}/schema-frame.yaml`],
    [
      `${B}/schema-frame.yaml:3:11: error: flow field "numbers[0]": "12a" does not match the pattern ^\\+?[0-9]{3,20}$`,
      `${B}/schema-frame.yaml:4:11: error: flow field "language": must be one of: zh, en`,
    ],
  ],
  [
    'unknown node type',
    [`${B}/unknown-node-type.yaml`],
    [`${B}/unknown-node-type.yaml:7:14: error: node "b" field "type": unknown node type "dance" (known: play, menu, collect, branch, set, queue, returning, callback, message, transfer, survey, hangup, goto)`],
  ],
  ['transition to a missing node', [`${B}/missing-node.yaml`], [`${B}/missing-node.yaml:6:41: error: node "a" field "next": transition to missing node "nowhere"`]],
  ['unreachable node (warning)', [`${B}/unreachable-node.yaml`], [`${B}/unreachable-node.yaml:7:3: warning: node "orphan": unreachable from the start node "a"`]],
  ['loop without waiting for the caller', [`${B}/spin-loop.yaml`], [`${B}/spin-loop.yaml:6:52: error: node "a": loop a → b → a can repeat without waiting for the caller`]],
  ['missing prompt file', [`${B}/missing-prompt-file.yaml`], [`${B}/missing-prompt-file.yaml:6:28: error: node "a" field "prompt": prompt "no-audio" has no audio file prompts/zh/no-audio.wav`]],
  ['prompt not defined', [`${B}/unknown-prompt.yaml`], [`${B}/unknown-prompt.yaml:6:28: error: node "a" field "prompt": prompt "welcome" is not defined in the flow's prompts or in prompts/prompts.yaml`]],
  [
    'duplicate number across flows',
    [`${FIX}/good.yaml`, `${B}/duplicate-number.yaml`],
    [`${B}/duplicate-number.yaml:3:22: error: flow field "numbers[1]": number "5550001" is already answered by flow "good" (${FIX}/good.yaml)`],
  ],
  [
    'menu of more than four options (warning)',
    [`${B}/menu-too-long.yaml`],
    [`${B}/menu-too-long.yaml:9:14: warning: node "a" field "options": 5 options; the standard keeps menus to at most 4 because longer menus raise abandonment`],
  ],
  [
    'returning node: exactly one of withinDays and withinHours',
    [`${B}/returning-window.yaml`],
    [`${B}/returning-window.yaml:6:6: error: node "r": needs exactly one of "withinDays" and "withinHours" (how recently the caller was served)`],
  ],
  [
    'returning node: 1 and 2 lead to queue nodes, 3 to a callback node',
    [`${B}/returning-target.yaml`],
    [
      `${B}/returning-target.yaml:6:88: error: node "r" field "sameAgent": must lead to a queue node (the call is held for the agent in a queue), not "b" (hangup)`,
      `${B}/returning-target.yaml:6:115: error: node "r" field "callback": must lead to a callback node (the callback request names the agent), not "q" (queue)`,
    ],
  ],
  ['queue that does not exist', [`${B}/unknown-queue.yaml`], [`${B}/unknown-queue.yaml:6:28: error: node "a" field "queue": queue "support" is not declared in queues.yaml`]],
  [
    'invalid calendar times',
    [`${B}/calendar-time.yaml`],
    [
      `${B}/calendar-time.yaml:6:9: error: calendar "broken-hours" field "seasons[0].to": invalid date "04-31" (expected MM-DD)`,
      `${B}/calendar-time.yaml:9:20: error: calendar "broken-hours" field "seasons[0].weekly.fri.open": invalid time range "09:00-25:00": 25:00 is not a time of day`,
      `${B}/calendar-time.yaml:10:44: error: calendar "broken-hours" field "seasons[0].weekly.sat.breaks[0]": break "11:30-12:30" is outside the opening hours "10:00-12:00"`,
    ],
  ],
  ['flow spec version newer than the server', [`${B}/version.yaml`], [`${B}/version.yaml:1:10: error: flow field "version": flow spec version 2 is newer than this server understands (1)`]],
];

describe('flow validation rules', () => {
  it.each(RULES)('%s', async (_rule, paths, expected) => {
    expect(await lines(...paths)).toEqual(expected);
  });

  it('accepts the good fixtures and the shipped hotline directory without a single problem', async () => {
    expect(await lines(`${FIX}/good.yaml`, `${FIX}/all-nodes.yaml`)).toEqual([]);
    expect(await lines('ivr-flows')).toEqual([]);
  });

  it('a transfer to a flow is checked across files', async () => {
    expect(await lines(`${FIX}/all-nodes.yaml`)).toEqual([`${FIX}/all-nodes.yaml:31:36: error: node "to-good" field "flow": transfer to missing flow "good"`]);
  });

  it('reads JSON flows too, with positions', async () => {
    const { mkdtemp, writeFile, symlink, rm, copyFile, mkdir } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/ivr-json-');
    try {
      await copyFile(`${FIX}/queues.yaml`, join(dir, 'queues.yaml'));
      await mkdir(join(dir, 'calendars'));
      await symlink(join(process.cwd(), FIX, 'prompts'), join(dir, 'prompts'));
      await writeFile(join(dir, 'j.json'), '{\n  "version": 1,\n  "id": "j",\n  "numbers": ["5559999"],\n  "start": "a",\n  "nodes": { "a": { "type": "hangup", "disposition": "done" } }\n}\n');
      expect(await lines(join(dir, 'j.json'))).toEqual([`${dir}/j.json:6:54: error: node "a" field "disposition": must be one of: completed, silent, abandoned, caller-hangup, transferred, after-hours, callback, message, no-match, no-agents, error`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('queues.yaml peakPlan: a good override passes; a bad one is refused at its file:line:col', async () => {
    const { mkdtemp, writeFile, rm, mkdir } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/ivr-plan-');
    try {
      await mkdir(join(dir, 'calendars'));
      const q = (plan: string): string => `version: 1\nqueues:\n  - id: sales\n    name: Sales\n    peakPlan: ${plan}\n`;
      await writeFile(join(dir, 'queues.yaml'), q('{ level1: 3, level2: 6, sustainSec: 900 }'));
      expect(await lines(dir)).toEqual([]);
      await writeFile(join(dir, 'queues.yaml'), q('{ level1: 20 }'));
      expect(await lines(dir)).toEqual([
        `${dir}/queues.yaml:5:15: error: queue "sales" field "peakPlan.level2": must be above level1 (20)`,
        `${dir}/queues.yaml:5:15: error: queue "sales" field "peakPlan.clear1": must not be above clear2 (12)`,
      ]);
      await writeFile(join(dir, 'queues.yaml'), q('{ level1: 4, clear1: 4 }'));
      expect(await lines(dir)).toEqual([`${dir}/queues.yaml:5:36: error: queue "sales" field "peakPlan.clear1": must be below level1 (4)`]);
      await writeFile(join(dir, 'queues.yaml'), q('{ level1: 0 }'));
      expect((await lines(dir))[0]).toMatch(/^.*queues\.yaml:5:\d+: error: .*level1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('queues.yaml telephony.releaseMedia: alone it passes; with record or silentCall in the same block it is refused in one line', async () => {
    const { mkdtemp, writeFile, rm, mkdir } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/ivr-release-');
    try {
      await mkdir(join(dir, 'calendars'));
      const q = (t: string): string => `version: 1\nqueues:\n  - id: sales\n    name: Sales\n    telephony: ${t}\n`;
      await writeFile(join(dir, 'queues.yaml'), q('{ releaseMedia: true, silentCall: false }'));
      expect(await lines(dir)).toEqual([]);
      await writeFile(join(dir, 'queues.yaml'), q('{ releaseMedia: true, record: true, silentCall: true }'));
      expect(await lines(dir)).toEqual([
        `${dir}/queues.yaml:5:32: error: queue "sales" field "telephony.releaseMedia": media release cannot keep record and silentCall (both need the call's media); set record: false, silentCall: false or releaseMedia: false`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the published JSON Schema is up to date (acd flows schema -o ivr-flows/flow.schema.json)', () => {
    expect(JSON.parse(readFileSync('ivr-flows/flow.schema.json', 'utf8'))).toEqual(publishedFlowSchema());
    expect(readFileSync('ivr-flows/hotline.yaml', 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/flow\.schema\.json/);
  });
});

describe('acd flows validate', () => {
  /** The command in-process: its stdout lines and exit code. */
  async function inProcess(...paths: string[]): Promise<{ out: string[]; code: number | undefined }> {
    const { Command } = await import('commander');
    const { register } = await import('../../src/cli/flows.js');
    const program = new Command('acd').exitOverride();
    register(program);
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const saved = process.exitCode;
    try {
      await program.parseAsync(['node', 'acd', 'flows', 'validate', ...paths]);
      return { out, code: process.exitCode as number | undefined };
    } finally {
      process.exitCode = saved;
      log.mockRestore();
      err.mockRestore();
    }
  }

  it('exits 0 when every file is valid, warnings alone included', async () => {
    expect(await inProcess('ivr-flows')).toEqual({ out: [], code: 0 });
    const w = await inProcess(`${B}/menu-too-long.yaml`);
    expect(w.code).toBe(0);
    expect(w.out).toHaveLength(1);
  });

  it('a path that does not exist is a typed error (the binary prints one line and exits 1)', async () => {
    await expect(inProcess('ivr-flows/nope.yaml')).rejects.toMatchObject({ code: 'FLOW_PATH_NOT_FOUND', message: 'ivr-flows/nope.yaml: no such file or directory' });
  });

  it('the real binary exits 1 with one line per problem', async () => {
    const run = promisify(execFile);
    const bad = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'flows', 'validate', `${B}/missing-node.yaml`, `${B}/unreachable-node.yaml`]).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stdout.trim().split('\n')).toEqual([
      `${B}/missing-node.yaml:6:41: error: node "a" field "next": transition to missing node "nowhere"`,
      `${B}/unreachable-node.yaml:7:3: warning: node "orphan": unreachable from the start node "a"`,
    ]);
    expect(bad?.stderr).toContain('2 file(s) checked: 1 error(s), 1 warning(s)');
  });
});

describe('the published JSON Schema on its own (what an editor checks)', () => {
  it('accepts the shipped flow and rejects a node with a wrong field', async () => {
    const { Ajv } = await import('ajv');
    const { parse } = await import('yaml');
    const check = new Ajv({ strict: false, allErrors: true }).compile(publishedFlowSchema());
    expect(check(parse(readFileSync('ivr-flows/hotline.yaml', 'utf8')))).toBe(true);
    expect(check(parse(readFileSync(`${B}/schema.yaml`, 'utf8')))).toBe(false);
    expect(check(parse(readFileSync(`${B}/unknown-node-type.yaml`, 'utf8')))).toBe(false);
  });
});

describe('flow spec versions', () => {
  it('a version that is not a positive integer is refused at the version field', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/ivr-version-');
    try {
      await writeFile(join(dir, 'v.yaml'), 'version: "one"\nid: v\nnumbers: []\nstart: a\nnodes: { a: { type: goto, next: a } }\n');
      expect(await lines(join(dir, 'v.yaml'))).toEqual([`${dir}/v.yaml:1:10: error: flow field "version": must be a positive integer`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
