-- Up Migration
-- Webhook subscriptions (POST /api/webhooks). The secret signs every delivery (HMAC-SHA256), so it is kept as is;
-- the API shows it once, at creation, and never lists it. Deleting a subscription deletes its queue and dead letters.
CREATE TABLE webhooks (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url         text NOT NULL CHECK (url ~ '^https?://'),
  -- Event types delivered; empty means every type.
  events      text[] NOT NULL DEFAULT '{}',
  secret      text NOT NULL CHECK (length(secret) >= 16),
  description text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The delivery queue. Deadlines are data: next_attempt_at says when a delivery is due, lease_until who holds it,
-- so any live instance delivers what a dead one had claimed (claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE webhook_deliveries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  -- Stable id of the event (stream position), so a replayed stream batch does not queue it twice.
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_until     timestamptz,
  leased_by       text,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (finished_at) WHERE status = 'dead';

-- Every call's record, once written (answered or not, IVR-only calls too), as a `call.record` delivery: queued by
-- the same INSERT that stores the record, so it is neither lost nor doubled (a record written again from the spool
-- inserts nothing and queues nothing). '-infinity': due at once on any instance's clock.
CREATE FUNCTION webhook_call_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, next_attempt_at)
  SELECT w.id, 'record:' || NEW.call_id, 'call.record',
         jsonb_build_object('id', 'record:' || NEW.call_id, 'type', 'call.record', 'data', to_jsonb(NEW)), '-infinity'
    FROM webhooks w
   WHERE cardinality(w.events) = 0 OR 'call.record' = ANY (w.events)
  ON CONFLICT (webhook_id, event_id) DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER call_records_webhooks AFTER INSERT ON call_records FOR EACH ROW EXECUTE FUNCTION webhook_call_record();

-- Down Migration
DROP TRIGGER call_records_webhooks ON call_records;
DROP FUNCTION webhook_call_record();
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
