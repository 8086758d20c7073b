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

-- Down Migration
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
