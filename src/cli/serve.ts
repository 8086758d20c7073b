import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/index.js';

/** `acd serve`: run the hotline until SIGINT/SIGTERM. Configuration comes from the environment (src/config). */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the hotline: migrate PostgreSQL, connect Redis, serve HTTP (and SIP/media unless TELEPHONY_ENABLED=false) until SIGINT/SIGTERM')
    .action(async () => {
      let config: Config;
      try {
        config = loadConfig();
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        // One line per bad variable, nothing else: the operator fixes them all in one go.
        for (const p of e.problems) console.error(`acd serve: ${p}`);
        process.exitCode = 1;
        return;
      }
      // Loaded here, not at the top, so `acd erlang` and the other tools do not pay for the server's imports.
      const { runServer } = await import('../main.js');
      try {
        await runServer(config);
      } catch (e) {
        // Start-up failed and everything opened was closed; a socket still connecting (a host that never answers)
        // must not keep the process alive after the one-line error. cli.ts prints it and sets the exit code.
        setTimeout(() => process.exit(process.exitCode ?? 1), 2_000).unref();
        throw e;
      }
      process.exitCode = 0;
      // Everything was closed; if some handle still keeps the loop alive, do not hang the supervisor's restart.
      setTimeout(() => {
        console.error('acd serve: handles still open after shutdown; exiting');
        process.exit(0);
      }, 2_000).unref();
    });
}
