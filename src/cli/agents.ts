import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { AgentSkill } from '../acd/model.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { InvalidInputError } from '../core/errors.js';
import { AGENT_ROLES, AgentRepository, type AgentRecord, type AgentRole } from '../store/pg/agents.js';
import { Db } from '../store/pg/db.js';
import { StoreError } from '../store/pg/errors.js';
import { TeamRepository } from '../store/pg/teams.js';
import { migrate } from '../store/pg/migrate.js';
import { requireLevel } from '../store/pg/validate.js';
import { registerAgentState } from './agent-state.js';
import { columnWidths, escapeForTerminal } from './text.js';

/**
 * `acd agents add|passwd|rename|list|skills|team|deactivate|activate|state`: provision seats in PostgreSQL. Passwords are read from
 * --password or prompted (echo off; from a pipe, the first line of stdin) and only their digest HA1 is stored.
 */
export function register(program: Command): void {
  const agents = program.command('agents').description('provision agent seats (SIP accounts, roles, skills)');

  agents
    .command('add <username>')
    .description('add a seat: SIP username, name, role, skills; the password is stored only as digest HA1')
    .requiredOption('--name <name>', "the agent's name")
    .option('--employee <number>', 'employee number')
    .option('--role <role>', `one of ${AGENT_ROLES.join(', ')}`, 'agent')
    .option('--id <id>', 'agent id used by the ACD (default: the username)')
    .option('--password <password>', 'SIP password (omit to be prompted)')
    .option('--realm <realm>', 'digest realm (default: SIP_DOMAIN)')
    .option('--skills <spec>', 'skills, e.g. billing:5,tech:3:secondary')
    .option('--create-skills', 'create skills that do not exist yet')
    .action(async (username: string, o: { name: string; employee?: string; role: string; id?: string; password?: string; realm?: string; skills?: string; createSkills?: boolean }) => {
      if (!(AGENT_ROLES as readonly string[]).includes(o.role)) throw new InvalidInputError('role', `must be one of ${AGENT_ROLES.join(', ')}`);
      const skills = o.skills === undefined ? [] : parseSkillSpec(o.skills);
      await withAgents(async (repo, config) => {
        const password = o.password ?? (await askPassword(true));
        const a = await repo.create(
          {
            sipUsername: username,
            name: o.name,
            role: o.role as AgentRole,
            password,
            realm: o.realm ?? config.SIP_DOMAIN,
            skills,
            ...(o.id !== undefined ? { id: o.id } : {}),
            ...(o.employee !== undefined ? { employeeNumber: o.employee } : {}),
          },
          { createMissingSkills: o.createSkills === true },
        );
        console.log(`added ${a.sipUsername} (${a.name}, ${a.role}, realm ${a.realm})${a.skills.length ? `: ${formatSkills(a.skills)}` : ''}`);
      });
    });

  agents
    .command('passwd <username>')
    .description("set a seat's SIP password (stored as digest HA1)")
    .option('--password <password>', 'new password (omit to be prompted)')
    .option('--realm <realm>', 'also move the credential to this digest realm')
    .action(async (username: string, o: { password?: string; realm?: string }) => {
      await withAgents(async (repo) => {
        const a = await mustFind(repo, username);
        const password = o.password ?? (await askPassword(true));
        await repo.setPassword(a.id, password, o.realm);
        console.log(`password changed for ${username}`);
      });
    });

  agents
    .command('skills <username> <spec>')
    .description('replace a seat\'s skills, e.g. "billing:5,tech:3:secondary" (level 1-5; primary unless :secondary)')
    .option('--create-skills', 'create skills that do not exist yet')
    .action(async (username: string, spec: string, o: { createSkills?: boolean }) => {
      const skills = parseSkillSpec(spec);
      await withAgents(async (repo) => {
        const a = await mustFind(repo, username);
        await repo.setSkills(a.id, skills, { createMissingSkills: o.createSkills === true });
        console.log(`${username}: ${formatSkills(skills) || '(no skills)'}`);
      });
    });

  agents
    .command('rename <username> <name>')
    .description("change a seat's display name (no control characters or line breaks)")
    .action(async (username: string, name: string) => {
      await withAgents(async (repo) => {
        const a = await mustFind(repo, username);
        await repo.rename(a.id, name);
        console.log(`${username} is now ${name}`);
      });
    });

  agents
    .command('list')
    .description('list seats (never shows credentials)')
    .option('--json', 'print JSON')
    .option('--active', 'only active seats')
    .action(async (o: { json?: boolean; active?: boolean }) => {
      await withAgents(async (repo) => {
        const list = await repo.list({ activeOnly: o.active === true });
        if (o.json) console.log(JSON.stringify(list, null, 2));
        else console.log(formatAgentTable(list));
      });
    });

  registerAgentState(agents, withAgents);

  agents
    .command('team <username> <team>')
    .description("put a seat in a team (its lead reviews the seat's dissatisfied calls); - takes it out of its team")
    .action(async (username: string, team: string) => {
      await withAgents(async (repo, _config, db) => {
        const a = await mustFind(repo, username);
        await new TeamRepository(db).assignAgent(a.id, team === '-' ? null : team);
        console.log(team === '-' ? `${username} is in no team` : `${username} is in team ${team}`);
      });
    });

  for (const [name, active] of [['deactivate', false], ['activate', true]] as const) {
    agents
      .command(`${name} <username>`)
      .description(active ? 'allow the seat to register again' : 'stop the seat registering (history is kept)')
      .action(async (username: string) => {
        await withAgents(async (repo) => {
          const a = await mustFind(repo, username);
          await repo.setActive(a.id, active);
          console.log(`${username} ${active ? 'activated' : 'deactivated'}`);
        });
      });
  }
}

/** "billing:5,tech:3:secondary" → skills. Level is required; the third part is primary (default) or secondary. */
export function parseSkillSpec(spec: string): AgentSkill[] {
  const items = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return items.map((item) => {
    const [skill, level, kind, ...rest] = item.split(':');
    if (!skill || level === undefined || rest.length > 0 || (kind !== undefined && kind !== 'primary' && kind !== 'secondary')) {
      throw new InvalidInputError('skills', `"${item}" is not skill:level[:primary|secondary], e.g. billing:5 or tech:3:secondary`);
    }
    const n = /^\d+$/.test(level) ? Number(level) : Number.NaN;
    return { skill, level: requireLevel(`skills (${skill})`, n), primary: kind !== 'secondary' };
  });
}

function formatSkills(skills: readonly AgentSkill[]): string {
  return skills.map((s) => `${s.skill}:${s.level}${s.primary ? '' : ':secondary'}`).join(',');
}

async function withAgents(fn: (repo: AgentRepository, config: Config, db: Db) => Promise<void>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(`acd agents: ${p}`);
    process.exitCode = 1;
    return;
  }
  // Provisioning may come before the first `acd serve`: make sure the tables exist.
  await migrate({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const db = new Db({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 2 });
  try {
    await fn(new AgentRepository(db), config, db);
  } finally {
    await db.close();
  }
}

async function mustFind(repo: AgentRepository, username: string): Promise<AgentRecord> {
  const a = await repo.getByUsername(username);
  if (!a) throw new StoreError('UNKNOWN_AGENT', `no seat with SIP username ${JSON.stringify(username)}`, { username });
  return a;
}

/** The `agents list` table. Free text is escaped: names stored before they were checked may hold escapes. */
export function formatAgentTable(list: readonly AgentRecord[]): string {
  const rows = [['USERNAME', 'ID', 'NAME', 'EMPLOYEE', 'ROLE', 'ACTIVE', 'TEAM', 'SKILLS']];
  for (const a of list) {
    rows.push([a.sipUsername, a.id, escapeForTerminal(a.name), escapeForTerminal(a.employeeNumber ?? '-'), a.role, a.active ? 'yes' : 'no', a.teamId ?? '-', formatSkills(a.skills) || '-']);
  }
  const widths = columnWidths(rows);
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Prompt with echo off on a terminal (twice, to catch typos); from a pipe, read the first line. */
async function askPassword(confirm: boolean): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, terminal: false });
    try {
      for await (const line of rl) return line;
    } finally {
      rl.close();
    }
    throw new InvalidInputError('password', 'no password on stdin; pass --password or pipe one line');
  }
  const first = await promptHidden('SIP password: ');
  if (confirm && (await promptHidden('again: ')) !== first) throw new InvalidInputError('password', 'the two entries differ');
  return first;
}

function promptHidden(question: string): Promise<string> {
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
