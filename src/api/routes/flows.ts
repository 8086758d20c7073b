import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { QueueDefinition } from '../../acd/model.js';
import { formatIssue, hasErrors, sortIssues, type Issue } from '../../ivr/issues.js';
import { loadDir } from '../../ivr/load.js';
import type { FileStatus } from '../../ivr/registry.js';
import { validateProject, type ProjectSources } from '../../ivr/validate.js';
import { ADMIN, STAFF } from '../auth.js';
import { commonErrors, errorBody } from '../errors.js';

export interface FlowRoutesDeps {
  /** FLOWS_DIR: the files there stay the one source of truth; the API writes them, the reloader applies them. */
  dir: string;
  status(): FileStatus[];
  queues(): QueueDefinition[] | undefined;
  /** The same reload an edit on disk triggers (validation, keep-last-good); resolves when applied. */
  reload(): Promise<unknown>;
}

// Flows at the top, calendars in calendars/, queues.yaml. Nothing else is writable (no paths, no dot files).
const FILE_RE = /^(calendars\/)?[A-Za-z0-9_][A-Za-z0-9._-]{0,100}\.(ya?ml|json)$/;
const fileName = z
  .string()
  .regex(FILE_RE, 'a flows-directory file such as hotline.yaml, queues.yaml or calendars/main.yaml')
  .refine((f) => !f.includes('..') && basename(f) !== 'flow.schema.json', 'not a flow, queues or calendar file');

const issue = z
  .object({ file: z.string(), line: z.number(), column: z.number(), severity: z.enum(['error', 'warning']), rule: z.string(), message: z.string(), text: z.string().describe('file:line:col: severity: message') })
  .meta({ id: 'FlowIssue' });
const fileStatus = z
  .object({
    file: z.string().describe('relative to the flows directory'),
    state: z.enum(['serving', 'ok', 'held', 'rejected', 'removed']),
    servingRevision: z.number().optional(),
    flowId: z.string().optional(),
    issues: z.array(issue),
    checkedAt: z.number(),
  })
  .meta({ id: 'FlowFileStatus' });
const upload = z.object({ file: fileName, text: z.string().max(1_000_000) });
const validation = z.object({ file: z.string(), valid: z.boolean(), issues: z.array(issue) });

const issueView = (i: Issue): z.infer<typeof issue> => ({ ...i, text: formatIssue(i) });

/** Flows, queues.yaml and calendars: status, validation of an uploaded file, atomic replacement. */
export function registerFlowRoutes(root: FastifyInstance, deps: FlowRoutesDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const rel = (f: string): string => relative(deps.dir, f) || f;

  /** Validate `text` as `file` together with the rest of the directory, exactly as a reload would. */
  const check = async (file: string, text: string): Promise<Issue[]> => {
    const path = join(deps.dir, file);
    const base = await loadDir(deps.dir);
    const named = { file: path, text };
    const sources: ProjectSources = { ...base, fallbackQueues: deps.queues() };
    if (/^queues\.ya?ml$/.test(file)) sources.queues = named;
    else if (file.startsWith('calendars/')) sources.calendars = [...base.calendars.filter((c) => c.file !== path), named];
    else sources.flows = [...base.flows.filter((f) => f.file !== path), named];
    return sortIssues(validateProject(sources).issues.get(path) ?? []);
  };

  app.get('/api/flows', {
    config: { roles: STAFF },
    schema: { tags: ['flows'], summary: 'Every flow, queues and calendar file with its serving revision and validation status', response: { 200: z.array(fileStatus), ...commonErrors } },
  }, () =>
    deps.status().map((s) => ({
      file: rel(s.file),
      state: s.state,
      ...(s.servingRevision !== undefined ? { servingRevision: s.servingRevision } : {}),
      ...(s.flowId !== undefined ? { flowId: s.flowId } : {}),
      issues: s.issues.map(issueView),
      checkedAt: s.checkedAt,
    })),
  );

  app.post('/api/flows/validate', {
    config: { roles: STAFF },
    schema: { tags: ['flows'], summary: 'Validate an uploaded file (nothing is written); the same file:line:col messages as `acd flows validate`', body: upload, response: { 200: validation, ...commonErrors } },
  }, async (req) => {
    const issues = await check(req.body.file, req.body.text);
    return { file: req.body.file, valid: !hasErrors(issues), issues: issues.map(issueView) };
  });

  // One replacement at a time: validate-then-write must not interleave with another upload of the same file.
  let writing: Promise<unknown> = Promise.resolve();
  app.put('/api/flows/files', {
    config: { roles: ADMIN },
    schema: {
      tags: ['flows'],
      summary: 'Replace (or add) a file: validated first, written atomically, then reloaded like an edit on disk',
      body: upload,
      response: { 200: validation, 422: errorBody.extend({ issues: z.array(issue) }), ...commonErrors },
    },
  }, async (req, reply) => {
    const run = writing.then(async () => {
      const { file, text } = req.body;
      const issues = await check(file, text);
      if (hasErrors(issues)) return { ok: false as const, issues };
      // Write beside the target and rename over it: the watcher never sees a half-written file.
      const target = join(deps.dir, file);
      const tmp = join(deps.dir, file.startsWith('calendars/') ? 'calendars' : '.', `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(tmp, text, 'utf8');
      try {
        await rename(tmp, target);
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
      await deps.reload();
      return { ok: true as const, issues };
    });
    writing = run.catch(() => undefined);
    const r = await run;
    if (!r.ok) {
      const first = r.issues.find((i) => i.severity === 'error')!;
      return reply.code(422).send({ code: 'FLOW_INVALID', message: `${formatIssue(first)} (file not written; the current version keeps serving)`, issues: r.issues.map(issueView) });
    }
    return { file: req.body.file, valid: true, issues: r.issues.map(issueView) };
  });

}
