-- Up Migration
-- The peak-load emergency plan (hotline standard §5). One row per activation of a level in a scope ('*' the
-- whole hotline, else a queue id): inserted when the level starts, ended_at filled when it stands down. The
-- evaluator may record a transition twice (two instances, a retry after a crash): (scope, level, started_at) is
-- the activation's identity, so the second insert does nothing and its webhook is not queued again.
CREATE TABLE plan_activations (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope        text NOT NULL,
  level        smallint NOT NULL CHECK (level IN (1, 2)),
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz,
  figures      jsonb NOT NULL,
  end_figures  jsonb,
  UNIQUE (scope, level, started_at),
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX plan_activations_started_idx ON plan_activations (started_at DESC);

-- Planned peaks declared by a supervisor: no leave granted, at most N seats on callbacks while one runs.
CREATE TABLE plan_campaigns (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  from_at     timestamptz NOT NULL,
  to_at       timestamptz NOT NULL,
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (to_at > from_at)
);
CREATE INDEX plan_campaigns_to_idx ON plan_campaigns (to_at);

-- A new not-ready reason: leave (refused while a campaign runs).
ALTER TABLE agent_state_history DROP CONSTRAINT agent_state_history_reason_check;
ALTER TABLE agent_state_history ADD CONSTRAINT agent_state_history_reason_check
  CHECK (reason IN ('break', 'lunch', 'training', 'meeting', 'after-call', 'missed', 'other', 'leave'));

-- Down Migration
UPDATE agent_state_history SET reason = 'other' WHERE reason = 'leave';
ALTER TABLE agent_state_history DROP CONSTRAINT agent_state_history_reason_check;
ALTER TABLE agent_state_history ADD CONSTRAINT agent_state_history_reason_check
  CHECK (reason IN ('break', 'lunch', 'training', 'meeting', 'after-call', 'missed', 'other'));
DROP TABLE plan_campaigns;
DROP TABLE plan_activations;
