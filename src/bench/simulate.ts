import type { Command } from 'commander';
import { HotlineError } from '../core/errors.js';

// Placeholder until its issue lands; replaced by the real benchmark.
export function register(bench: Command): void {
  bench.command('simulate').description('(not built yet)').action(() => {
    throw new HotlineError('NOT_BUILT', 'bench simulate is not built yet');
  });
}
