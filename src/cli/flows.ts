import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FlowError } from '../ivr/errors.js';
import { formatIssue, hasErrors, sortIssues, type Issue } from '../ivr/issues.js';
import { loadForPaths } from '../ivr/load.js';
import { publishedFlowSchema } from '../ivr/schema.js';
import { validateProject } from '../ivr/validate.js';

/** Validate every named path; one line per problem, the same lines hot reload logs. */
export async function validatePaths(paths: string[]): Promise<{ issues: Issue[]; files: number }> {
  const all: Issue[] = [];
  let files = 0;
  for (const check of await loadForPaths(paths)) {
    const result = validateProject(check.sources);
    for (const [file, list] of result.issues) {
      if (check.report && !check.report.has(file)) continue;
      files++;
      for (const i of list) all.push(i);
    }
  }
  return { issues: sortIssues(all), files };
}

/** Writing the schema fails with one line naming the path and why (no such directory, no permission), not a stack. */
async function writeSchema(out: string, json: string): Promise<void> {
  try {
    await writeFile(out, json);
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e ? String((e).code) : String(e);
    const why = code === 'ENOENT' ? `directory ${dirname(out)} does not exist` : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code;
    throw new FlowError('FLOW_OUTPUT_UNWRITABLE', `${out}: cannot write the schema: ${why}`, { path: out, cause: code });
  }
}

export function register(program: Command): void {
  const flows = program.command('flows').description('IVR flow files: validate, publish the JSON Schema');
  flows
    .command('validate')
    .description('check flow files (and queues.yaml, calendars); exit 1 when any has an error')
    .argument('<paths...>', 'flow files or flows directories')
    .option('-q, --quiet', 'print problems only, no summary')
    .action(async (paths: string[], opts: { quiet?: boolean }) => {
      const { issues, files } = await validatePaths(paths);
      for (const i of issues) console.log(formatIssue(i));
      const errors = issues.filter((i) => i.severity === 'error').length;
      if (!opts.quiet) console.error(`${files} file(s) checked: ${errors} error(s), ${issues.length - errors} warning(s)`);
      process.exitCode = hasErrors(issues) ? 1 : 0;
    });
  flows
    .command('schema')
    .description('print (or write) the JSON Schema of flow files, for editors')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(async (opts: { out?: string }) => {
      const json = `${JSON.stringify(publishedFlowSchema(), null, 2)}\n`;
      if (opts.out) await writeSchema(opts.out, json);
      else process.stdout.write(json);
    });
}
