import type { Command } from 'commander';
import { register as registerRouting } from '../bench/routing.js';
import { register as registerErlang } from '../bench/erlang.js';
import { register as registerSimulate } from '../bench/simulate.js';
import { register as registerSipLoad } from '../bench/sip-load.js';
import { register as registerApi } from '../bench/api.js';
import { register as registerWallboard } from '../bench/wallboard-stream.js';

/** `acd bench <what>`: figures measured side by side in one run (ours vs a baseline or ceiling). */
export function register(program: Command): void {
  const bench = program.command('bench').description('benchmarks: each prints our figures beside a baseline measured in the same run');
  registerRouting(bench);
  registerErlang(bench);
  registerSimulate(bench);
  registerSipLoad(bench);
  registerApi(bench);
  registerWallboard(bench);
}
