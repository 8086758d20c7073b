import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.js';
import { ReviewError } from '../reviews/errors.js';
import { AgentRepository } from '../store/pg/agents.js';
import { Db } from '../store/pg/db.js';
import { StoreError } from '../store/pg/errors.js';
import { migrate } from '../store/pg/migrate.js';
import { TeamRepository, type Team } from '../store/pg/teams.js';
import { columnWidths, escapeForTerminal } from './text.js';

/**
 * `acd teams add|list|set-lead|rename|delete`: teams and their leads (standard §6: the lead reviews the team's
 * dissatisfied calls). The same TeamRepository as /api/teams. Agents are named by SIP username, as in `acd agents`;
 * `acd agents team <username> <team>` puts a seat in a team.
 */
export function register(program: Command): void {
  const teams = program.command('teams').description("teams and their leads (who review the team's dissatisfied calls)");

  teams
    .command('add <id>')
    .description('add a team')
    .requiredOption('--name <name>', "the team's name")
    .option('--lead <username>', 'the team lead (SIP username of a seat)')
    .action(async (id: string, o: { name: string; lead?: string }) => {
      await withTeams(async (repo, agents) => {
        const lead = o.lead === undefined ? null : (await mustFind(agents, o.lead)).id;
        const t = await repo.create({ id, name: o.name, leadAgentId: lead });
        console.log(`added team ${t.id} (${t.name})${t.leadAgentId ? `, lead ${o.lead}` : ', no lead'}`);
      });
    });

  teams
    .command('list')
    .description('list teams with their leads and members')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withTeams(async (repo) => {
        const list = await repo.list();
        console.log(o.json ? JSON.stringify(list, null, 2) : formatTeamTable(list));
      });
    });

  teams
    .command('set-lead <team> <username>')
    .description("set the team's lead; - for none (its new reviews go to the supervisors' pool)")
    .action(async (team: string, username: string) => {
      await withTeams(async (repo, agents) => {
        const lead = username === '-' ? null : (await mustFind(agents, username)).id;
        await repo.setLead(team, lead);
        console.log(lead === null ? `team ${team} has no lead` : `team ${team}: lead ${username}`);
      });
    });

  teams
    .command('rename <team> <name>')
    .description("change a team's name")
    .action(async (team: string, name: string) => {
      await withTeams(async (repo) => {
        await repo.rename(team, name);
        console.log(`team ${team} is now ${name}`);
      });
    });

  teams
    .command('delete <team>')
    .description('delete a team (its agents become team-less)')
    .action(async (team: string) => {
      await withTeams(async (repo) => {
        if (!(await repo.delete(team))) throw new ReviewError('UNKNOWN_TEAM', `no team ${JSON.stringify(team)}`, { teamId: team });
        console.log(`team ${team} deleted`);
      });
    });
}

export function formatTeamTable(list: readonly Team[]): string {
  const rows = [['ID', 'NAME', 'LEAD', 'MEMBERS']];
  for (const t of list) rows.push([t.id, escapeForTerminal(t.name), t.leadAgentId ?? '-', t.members.join(',') || '-']);
  const widths = columnWidths(rows);
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function mustFind(agents: AgentRepository, username: string) {
  const a = await agents.getByUsername(username);
  if (!a) throw new StoreError('UNKNOWN_AGENT', `no seat with SIP username ${JSON.stringify(username)}`, { username });
  return a;
}

async function withTeams(fn: (repo: TeamRepository, agents: AgentRepository) => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(`acd teams: ${p}`);
    process.exitCode = 1;
    return;
  }
  await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const db = new Db({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 2 });
  try {
    await fn(new TeamRepository(db), new AgentRepository(db));
  } finally {
    await db.close();
  }
}
