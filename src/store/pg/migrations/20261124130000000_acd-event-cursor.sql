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

-- Down Migration
DROP TABLE acd_event_cursors;
DELETE FROM call_offers WHERE outcome IS NULL;
ALTER TABLE call_offers ALTER COLUMN outcome SET NOT NULL;
