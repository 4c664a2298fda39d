-- Integrity (issue 10).
-- Idempotency claims carry the claiming process (`owner`, a random id per
-- server start) and a heartbeat the running request refreshes: a claim whose
-- owner stopped refreshing is stale and may be taken over by a retry.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN heartbeat_at TEXT NOT NULL DEFAULT '';
CREATE INDEX idempotency_created ON idempotency_keys(created_at);

-- Failed logins, per login and per client address, for throttling.
-- scope: 'login' | 'addr'; failures counts since the last success;
-- locked_until: no attempt is checked before this time.
CREATE TABLE login_throttle (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (scope, subject)
);
