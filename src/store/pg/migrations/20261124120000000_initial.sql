-- Up Migration
-- The hotline's durable records. Runs with search_path set to the configured schema (node-pg-migrate `schema`),
-- so nothing here names a schema.

-- Seats. The SIP digest credential is stored as HA1 = md5(username:realm:password) only: the registrar can verify
-- a digest response with it, and a leaked table does not give away passwords reusable elsewhere.
CREATE TABLE agents (
  id              text PRIMARY KEY,
  sip_username    text NOT NULL UNIQUE CHECK (sip_username ~ '^[A-Za-z0-9._~+-]{1,64}$'),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  employee_number text UNIQUE,
  role            text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor')),
  digest_realm    text NOT NULL CHECK (length(digest_realm) >= 1),
  digest_ha1      text NOT NULL CHECK (digest_ha1 ~ '^[0-9a-f]{32}$'),
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE skills (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  description text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_skills (
  agent_id text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  skill_id text NOT NULL REFERENCES skills (id),
  level    smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
  -- Primary skills take calls at once; secondary ones only when a queue overflows to them ("skill reuse").
  is_primary boolean NOT NULL DEFAULT true,
  PRIMARY KEY (agent_id, skill_id)
);
CREATE INDEX agent_skills_skill_idx ON agent_skills (skill_id, level);

-- Queue definitions mirror QueueDefinition (src/acd/model.ts). The admin-edited ivr-flows/queues.yaml is the
-- source of truth; these rows are its persisted copy so reports can join on queue settings. Queues dropped from
-- the file are deactivated, not deleted, because call records keep naming them. Seconds are numeric because the
-- file allows fractions (wrapUpSec: 2.5).
CREATE TABLE queues (
  id                  text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name                text NOT NULL,
  priority            integer NOT NULL DEFAULT 0,
  policy              text NOT NULL DEFAULT 'longest-idle'
                        CHECK (policy IN ('longest-idle', 'highest-skill', 'least-talk-time', 'round-robin')),
  overflow_secondary_after_sec numeric(10, 3) CHECK (overflow_secondary_after_sec >= 0),
  overflow_to_queue   text,
  overflow_queue_after_sec     numeric(10, 3) CHECK (overflow_queue_after_sec >= 0),
  sl_fraction         numeric(5, 4) NOT NULL DEFAULT 0.8 CHECK (sl_fraction > 0 AND sl_fraction <= 1),
  sl_seconds          numeric(10, 3) NOT NULL DEFAULT 20 CHECK (sl_seconds > 0),
  wrap_up_sec         numeric(10, 3) NOT NULL DEFAULT 0 CHECK (wrap_up_sec >= 0),
  answer_rings        integer NOT NULL DEFAULT 3 CHECK (answer_rings >= 1),
  sticky_agent_sec    numeric(10, 3) NOT NULL DEFAULT 0 CHECK (sticky_agent_sec >= 0),
  max_wait_sec        numeric(10, 3) NOT NULL DEFAULT 0 CHECK (max_wait_sec >= 0),
  active              boolean NOT NULL DEFAULT true,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (overflow_to_queue IS NULL OR overflow_to_queue <> id)
);

CREATE TABLE queue_skills (
  queue_id  text NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
  skill_id  text NOT NULL REFERENCES skills (id),
  min_level smallint NOT NULL CHECK (min_level BETWEEN 1 AND 5),
  PRIMARY KEY (queue_id, skill_id)
);

-- One row per call, written once by the call's single cleanup path (INSERT ... ON CONFLICT DO NOTHING, so a
-- repeated cleanup or a spool replay cannot double it). No foreign keys to agents or queues on purpose: a record
-- is a fact about what happened and must never be refused (nor stick in the outage spool) because a queue was
-- renamed or an agent removed.
CREATE TABLE call_records (
  call_id          text PRIMARY KEY CHECK (length(call_id) BETWEEN 1 AND 200),
  instance_id      text,
  hotline_number   text,
  caller_number    text,
  flow_id          text,
  flow_revision    text,
  queue_id         text,
  agent_id         text,
  -- First-contact responsibility and sticky routing: who took the call first, and who it was held for.
  first_agent_id   text,
  sticky_agent_id  text,
  priority         integer NOT NULL DEFAULT 0,
  arrival_at       timestamptz NOT NULL,
  ivr_exit_at      timestamptz,
  enqueue_at       timestamptz,
  answer_at        timestamptz,
  abandon_at       timestamptz,
  hangup_at        timestamptz,
  offers           integer NOT NULL DEFAULT 0 CHECK (offers >= 0),
  -- Agents offered the call who let it ring out (redirect on no answer), in order.
  missed_agents    text[] NOT NULL DEFAULT '{}',
  rings_to_answer  numeric(6, 2) CHECK (rings_to_answer >= 0),
  who_hung_up      text CHECK (who_hung_up IN ('caller', 'agent', 'system')),
  disposition      text NOT NULL CHECK (disposition IN (
                     'answered', 'abandoned', 'silent', 'rona-requeued', 'after-hours', 'callback-requested',
                     'voicemail', 'transferred', 'transfer-failed', 'ivr-completed', 'ivr-hangup', 'no-match',
                     'no-agents', 'max-wait', 'overload', 'failed')),
  survey_rating    smallint CHECK (survey_rating BETWEEN 1 AND 5),
  -- The late-answer apology whisper played to the agent (answered after more than the standard's rings).
  late_whisper     boolean NOT NULL DEFAULT false,
  recording_path   text,
  transfer_target  text,
  failure_reason   text,
  written_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (ivr_exit_at IS NULL OR ivr_exit_at >= arrival_at),
  CHECK (enqueue_at IS NULL OR enqueue_at >= arrival_at),
  CHECK (answer_at IS NULL OR answer_at >= arrival_at),
  CHECK (hangup_at IS NULL OR hangup_at >= arrival_at),
  CHECK (disposition <> 'answered' OR (answer_at IS NOT NULL AND agent_id IS NOT NULL))
);
-- Reports slice by time, queue, agent and disposition; returning-caller look-ups go by caller number.
CREATE INDEX call_records_arrival_idx ON call_records (arrival_at);
CREATE INDEX call_records_queue_arrival_idx ON call_records (queue_id, arrival_at);
CREATE INDEX call_records_agent_arrival_idx ON call_records (agent_id, arrival_at) WHERE agent_id IS NOT NULL;
CREATE INDEX call_records_disposition_arrival_idx ON call_records (disposition, arrival_at);
CREATE INDEX call_records_caller_arrival_idx ON call_records (caller_number, arrival_at DESC);
CREATE INDEX call_records_low_rating_idx ON call_records (arrival_at) WHERE survey_rating <= 2;

-- Every offer of a call to an agent: rings and outcome give the three-ring KPI and RONA counts per agent.
CREATE TABLE call_offers (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id     text NOT NULL,
  agent_id    text NOT NULL,
  queue_id    text,
  via         text CHECK (via IN ('primary', 'secondary', 'overflow-queue', 'sticky')),
  offered_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  outcome     text NOT NULL CHECK (outcome IN ('answered', 'rona', 'cancelled', 'rejected')),
  rings       numeric(6, 2) CHECK (rings >= 0),
  -- The natural key makes a replayed or repeated write a no-op.
  UNIQUE (call_id, agent_id, offered_at),
  CHECK (ended_at IS NULL OR ended_at >= offered_at)
);
CREATE INDEX call_offers_agent_idx ON call_offers (agent_id, offered_at);

-- Agent state history: one row per state entered; ended_at is filled when the next state begins. Occupancy,
-- idle time and not-ready reasons per interval fall out of it.
CREATE TABLE agent_state_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agent_id    text NOT NULL,
  state       text NOT NULL CHECK (state IN ('logged-out', 'not-ready', 'ready', 'reserved', 'ringing', 'on-call', 'wrap-up')),
  reason      text CHECK (reason IN ('break', 'lunch', 'training', 'meeting', 'after-call', 'missed', 'other')),
  call_id     text,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  UNIQUE (agent_id, started_at),
  CHECK (ended_at IS NULL OR ended_at >= started_at),
  CHECK (reason IS NULL OR state = 'not-ready')
);
CREATE INDEX agent_state_history_open_idx ON agent_state_history (agent_id) WHERE ended_at IS NULL;
CREATE INDEX agent_state_history_started_idx ON agent_state_history (started_at);

-- Callbacks the IVR took ("we will call you back"): worked by due time; claimed with FOR UPDATE SKIP LOCKED so
-- several app instances never dial the same one.
CREATE TABLE callbacks (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id          text UNIQUE,
  requested_number text NOT NULL CHECK (requested_number ~ '^\+?[0-9]{3,20}$'),
  queue_id         text,
  preferred_agent_id text,
  note             text,
  requested_at     timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'in-progress', 'done', 'failed', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  claimed_by       text,
  claimed_at       timestamptz,
  completed_at     timestamptz,
  agent_id         text
);
CREATE INDEX callbacks_due_idx ON callbacks (due_at) WHERE status = 'pending';

-- Down Migration
DROP TABLE callbacks;
DROP TABLE agent_state_history;
DROP TABLE call_offers;
DROP TABLE call_records;
DROP TABLE queue_skills;
DROP TABLE queues;
DROP TABLE agent_skills;
DROP TABLE skills;
DROP TABLE agents;
