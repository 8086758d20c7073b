import type { Command } from 'commander';
import { HotlineError } from '../core/errors.js';

// Placeholder until its issue lands; replaced by the real command.
export function register(program: Command): void {
  program.command('erlang').description('(not built yet)').action(() => {
    throw new HotlineError('NOT_BUILT', 'erlang is not built yet');
  });
}
