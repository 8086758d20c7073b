-- Up Migration
-- Teams and their leads (standard §6: a "dissatisfied" rating is reviewed by the agent's team lead). A lead is an
-- agent; removing the agent leaves the team without a lead (its reviews then go to the supervisors' pool).
CREATE TABLE teams (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  lead_agent_id text REFERENCES agents (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE agents ADD COLUMN team_id text REFERENCES teams (id) ON DELETE SET NULL;
CREATE INDEX agents_team_idx ON agents (team_id) WHERE team_id IS NOT NULL;

-- Review tasks: one per call rated "dissatisfied", created in the transaction that inserts the call record (only
-- when that INSERT really inserted: a record written again from the spool creates nothing; UNIQUE (call_id) is the
-- second guard). Deadlines are data: due_at is scanned by any live instance, overdue_at set once by a conditional
-- UPDATE. assignee_agent_id NULL: the supervisors' pool (no team, or a team without a lead).
CREATE TABLE review_tasks (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id           text NOT NULL UNIQUE,
  agent_id          text,
  team_id           text,
  assignee_agent_id text,
  rating            smallint NOT NULL,
  caller_number     text,
  queue_id          text,
  flow_id           text,
  recording_path    text,
  rated_at          timestamptz NOT NULL,
  due_at            timestamptz NOT NULL,
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  overdue_at        timestamptz,
  listened_at       timestamptz,
  agent_at_fault    boolean,
  note              text CHECK (length(note) <= 2000),
  closed_at         timestamptz,
  closed_by         text,
  apology_callback_id bigint,
  created_at        timestamptz NOT NULL,
  CHECK (due_at >= rated_at),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
-- The overdue sweep reads only open tasks not yet flagged; lists go by assignee.
CREATE INDEX review_tasks_due_idx ON review_tasks (due_at) WHERE status = 'open' AND overdue_at IS NULL;
CREATE INDEX review_tasks_assignee_idx ON review_tasks (assignee_agent_id, due_at);

-- Down Migration
DROP TABLE review_tasks;
DROP INDEX agents_team_idx;
ALTER TABLE agents DROP COLUMN team_id;
DROP TABLE teams;
