-- Up Migration
-- Bearer tokens of the HTTP API (src/api/auth.ts), created with `acd tokens create`. Only the SHA-256 of the token
-- is stored: the token itself is shown once, at creation. A revoked token stays listed (who had access, until when).
CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role         text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
  -- An agent token reaches only this agent's own state and calls.
  agent_id     text REFERENCES agents (id),
  token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  CHECK ((role = 'agent') = (agent_id IS NOT NULL))
);

-- Down Migration
DROP TABLE api_tokens;
