-- Up Migration
-- The ACD event writer (src/store/pg/acd-events.ts) records each offer when it is made and fills in the outcome
-- when it ends, so an offer still ringing has no outcome yet.
ALTER TABLE call_offers ALTER COLUMN outcome DROP NOT NULL;

-- How far the writer has persisted each Redis event stream. Moved in the same transaction as the rows it wrote,
-- so every event is persisted exactly once even across restarts and several instances.
CREATE TABLE acd_event_cursors (
  stream     text PRIMARY KEY,
  last_id    text NOT NULL,
  events     bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Several state changes can share a millisecond (login then ready; reserved then ringing in one operation): `seq`
-- orders them within it (the event writer derives it from the stream position), so none is dropped as a repeat.
ALTER TABLE agent_state_history ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE agent_state_history DROP CONSTRAINT agent_state_history_agent_id_started_at_key;
ALTER TABLE agent_state_history ADD CONSTRAINT agent_state_history_agent_started_seq_key UNIQUE (agent_id, started_at, seq);

-- Down Migration
ALTER TABLE agent_state_history DROP CONSTRAINT agent_state_history_agent_started_seq_key;
DELETE FROM agent_state_history h USING agent_state_history o
 WHERE h.agent_id = o.agent_id AND h.started_at = o.started_at AND h.seq > o.seq;
ALTER TABLE agent_state_history ADD CONSTRAINT agent_state_history_agent_id_started_at_key UNIQUE (agent_id, started_at);
ALTER TABLE agent_state_history DROP COLUMN seq;
DROP TABLE acd_event_cursors;
DELETE FROM call_offers WHERE outcome IS NULL;
ALTER TABLE call_offers ALTER COLUMN outcome SET NOT NULL;
