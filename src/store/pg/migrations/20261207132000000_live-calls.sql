-- Up Migration
-- A call a supervisor hung up from the API before any agent answered it: neither abandoned (the caller did not
-- choose to leave) nor failed. An answered call hung up by a supervisor stays 'answered' (it was answered; the
-- KPIs count it so) and carries failure_reason 'ended-by-operator'.
ALTER TABLE call_records DROP CONSTRAINT call_records_disposition_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_disposition_check CHECK (disposition IN (
  'answered', 'abandoned', 'silent', 'rona-requeued', 'after-hours', 'callback-requested',
  'voicemail', 'transferred', 'transfer-failed', 'ivr-completed', 'ivr-hangup', 'no-match',
  'no-agents', 'max-wait', 'overload', 'failed', 'ended-by-operator'));

-- Down Migration
UPDATE call_records SET disposition = 'failed' WHERE disposition = 'ended-by-operator';
ALTER TABLE call_records DROP CONSTRAINT call_records_disposition_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_disposition_check CHECK (disposition IN (
  'answered', 'abandoned', 'silent', 'rona-requeued', 'after-hours', 'callback-requested',
  'voicemail', 'transferred', 'transfer-failed', 'ivr-completed', 'ivr-hangup', 'no-match',
  'no-agents', 'max-wait', 'overload', 'failed'));
