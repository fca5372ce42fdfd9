-- sqlite migration 6: holders of outbox claims; the schedule shared by server instances.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
CREATE TABLE schedule (
    job TEXT PRIMARY KEY,
    holder TEXT,
    lease_until TEXT,
    next_due TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_started TEXT,
    last_finished TEXT,
    last_error TEXT
) WITHOUT ROWID;
