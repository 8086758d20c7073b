import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
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
      all.push(...list);
    }
  }
  return { issues: sortIssues(all), files };
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
      if (opts.out) await writeFile(opts.out, json);
      else process.stdout.write(json);
    });
}
