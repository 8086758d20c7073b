#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isHotlineError } from './core/errors.js';
import { register as registerServe } from './cli/serve.js';
import { register as registerFlows } from './cli/flows.js';
import { register as registerErlang } from './cli/erlang.js';
import { register as registerStaff } from './cli/staff.js';
import { register as registerSimulate } from './cli/simulate.js';
import { register as registerBench } from './cli/bench.js';
import { register as registerAgents } from './cli/agents.js';
import { register as registerDb } from './cli/db.js';
import { register as registerTokens } from './cli/tokens.js';
import { register as registerCallbacks } from './cli/callbacks.js';
import { register as registerTeams } from './cli/teams.js';
import { register as registerWorkOrders } from './cli/work-orders.js';
import { register as registerCapacity } from './cli/capacity.js';

/** The version in package.json (one level above src/ and dist/ alike). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * `acd`: one binary for running the hotline and for the admin/analyst tools. Each subcommand lives in
 * src/cli/<name>.ts and registers itself here.
 */
export function buildProgram(): Command {
  const program = new Command('acd')
    .description('hotline-acd: SIP ACD/IVR server, Erlang staffing and simulation tools')
    .version(packageVersion(), '-V, --version', 'print the version of hotline-acd')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerFlows(program);
  registerErlang(program);
  registerStaff(program);
  registerSimulate(program);
  registerBench(program);
  registerAgents(program);
  registerDb(program);
  registerTokens(program);
  registerCallbacks(program);
  registerTeams(program);
  registerWorkOrders(program);
  registerCapacity(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    // Typed errors print one clear line (their code and message); anything else is a bug and keeps its stack.
    if (isHotlineError(e)) console.error(`acd: ${e.code}: ${e.message}`);
    else console.error(e);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
  }
}

await main(process.argv);
