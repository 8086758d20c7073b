-- Up Migration
-- Callback tasks (issue 11 §3). `due_at` stays what it always meant to callers of CallbackRepository.create: the
-- DEADLINE (working days on the hotline calendar). When to dial next is a separate instant, `next_attempt_at`, so a
-- retry can be spaced without moving the deadline. A claim expires (claimed_at + lease, in the query) so a task held
-- by an instance that died is taken again by any live one. `overdue_at` is set once, by whichever instance sweeps
-- first, together with the callback.overdue webhook.
ALTER TABLE callbacks
  ADD COLUMN reason          text,
  ADD COLUMN source          text NOT NULL DEFAULT 'ivr' CHECK (source IN ('ivr', 'abandoned', 'api', 'review', 'returning')),
  ADD COLUMN next_attempt_at timestamptz,
  ADD COLUMN overdue_at      timestamptz,
  ADD COLUMN outcome         text,
  ADD COLUMN last_attempt_at timestamptz;
UPDATE callbacks SET next_attempt_at = requested_at;
ALTER TABLE callbacks ALTER COLUMN next_attempt_at SET NOT NULL, ALTER COLUMN next_attempt_at SET DEFAULT now();
CREATE INDEX callbacks_next_attempt_idx ON callbacks (next_attempt_at) WHERE status = 'pending';
CREATE INDEX callbacks_overdue_idx ON callbacks (due_at) WHERE overdue_at IS NULL AND status IN ('pending', 'in-progress');

-- Each dial of a task: who, when, how it ended (the customer's side, or the agent who missed the offer).
CREATE TABLE callback_attempts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  callback_id  bigint NOT NULL REFERENCES callbacks (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL,
  agent_id     text,
  call_id      text,
  outcome      text NOT NULL CHECK (outcome IN ('answered', 'busy', 'no-answer', 'failed', 'agent-missed'))
);
CREATE INDEX callback_attempts_callback_idx ON callback_attempts (callback_id, at);

-- Outbound calls (callbacks dialled by the ACD) get a call record too, so KPIs and records stay complete.
ALTER TABLE call_records ADD COLUMN direction text NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound'));

-- Down Migration
ALTER TABLE call_records DROP COLUMN direction;
DROP TABLE callback_attempts;
DROP INDEX callbacks_overdue_idx;
DROP INDEX callbacks_next_attempt_idx;
ALTER TABLE callbacks DROP COLUMN reason, DROP COLUMN source, DROP COLUMN next_attempt_at, DROP COLUMN overdue_at,
  DROP COLUMN outcome, DROP COLUMN last_attempt_at;
