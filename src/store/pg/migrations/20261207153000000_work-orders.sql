-- Up Migration
-- Work orders (工单, hotline standard §7) and complaints (§6), and the providers work orders are dispatched to (§3).

-- Who carries out a work order: a utility, a repair contractor, another department. Contact is for people; the
-- webhook URL is informative (deliveries go through the webhook subscriptions, filtered by the receiver).
CREATE TABLE providers (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  contact     text CHECK (length(contact) <= 200),
  webhook_url text CHECK (webhook_url ~ '^https?://'),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A provider token reaches only the work orders dispatched to its provider (accepting them).
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('admin', 'supervisor', 'agent', 'provider'));
ALTER TABLE api_tokens ADD COLUMN provider_id text REFERENCES providers (id);
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_provider_check CHECK ((role = 'provider') = (provider_id IS NOT NULL));

-- Deadlines are data: escalate_at (dispatch + the acceptance limit) and answer_due_at (complaints: 1 working day)
-- are swept by any live instance; escalated_at / overdue_at are set once by a conditional UPDATE, in the same
-- transaction that queues the webhook, so a restart or two racing instances flag (and notify) exactly once.
CREATE TABLE work_orders (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The call it was taken on (a call record, or a call still live when the order was created: its record is
  -- written only at the call's end, so there is no foreign key).
  call_id         text NOT NULL CHECK (length(call_id) BETWEEN 1 AND 200),
  category        text NOT NULL CHECK (category ~ '^[a-z][a-z0-9-]{0,31}$'),
  priority        text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  caller_name     text CHECK (length(caller_name) <= 100),
  address         text CHECK (length(address) <= 500),
  contact_number  text CHECK (contact_number ~ '^\+?[0-9]{3,20}$'),
  need            text NOT NULL CHECK (length(need) BETWEEN 1 AND 4000),
  -- First-contact responsibility (§6): the agent who took it owns it until it is resolved.
  owner_agent_id  text,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dispatched', 'accepted', 'answered', 'closed')),
  provider_id     text REFERENCES providers (id),
  dispatches      integer NOT NULL DEFAULT 0,
  dispatched_at   timestamptz,
  dispatched_by   text,
  escalate_at     timestamptz,
  escalated_at    timestamptz,
  accepted_at     timestamptz,
  accepted_by     text,
  answer_due_at   timestamptz,
  overdue_at      timestamptz,
  answered_at     timestamptz,
  answered_by     text,
  answer          text CHECK (length(answer) <= 4000),
  closed_at       timestamptz,
  closed_by       text,
  caller_satisfied boolean,
  resolution      text CHECK (length(resolution) <= 4000),
  CHECK ((category = 'complaint') = (answer_due_at IS NOT NULL)),
  CHECK (escalate_at IS NULL OR dispatched_at IS NOT NULL)
);
CREATE INDEX work_orders_call_idx ON work_orders (call_id);
CREATE INDEX work_orders_created_idx ON work_orders (created_at);
CREATE INDEX work_orders_owner_idx ON work_orders (owner_agent_id, created_at);
-- The sweeps look only at what can still fire.
CREATE INDEX work_orders_escalate_idx ON work_orders (escalate_at) WHERE escalated_at IS NULL AND accepted_at IS NULL AND closed_at IS NULL;
CREATE INDEX work_orders_answer_due_idx ON work_orders (answer_due_at) WHERE overdue_at IS NULL AND answered_at IS NULL AND closed_at IS NULL;

-- Down Migration
DROP TABLE work_orders;
DELETE FROM api_tokens WHERE role = 'provider';
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_provider_check;
ALTER TABLE api_tokens DROP COLUMN provider_id;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('admin', 'supervisor', 'agent'));
DROP TABLE providers;
