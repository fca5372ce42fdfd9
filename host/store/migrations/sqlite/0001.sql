-- sqlite migration 1: records, history, cursors, quarantine.
CREATE TABLE records (
    connection TEXT NOT NULL,
    kind TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    digest BLOB NOT NULL,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    -- The history row holding the current version.
    current INTEGER NOT NULL,
    PRIMARY KEY (connection, kind, remote_id)
) WITHOUT ROWID;
-- Every version of every record; `records.current` points at the latest.
CREATE TABLE record_history (
    id INTEGER PRIMARY KEY,
    connection TEXT NOT NULL,
    kind TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    change TEXT NOT NULL,
    origin TEXT NOT NULL,
    body TEXT
);
CREATE TABLE cursors (
    connection TEXT NOT NULL,
    stream TEXT NOT NULL,
    cursor TEXT,
    complete INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, stream)
) WITHOUT ROWID;
CREATE TABLE quarantine (
    connection TEXT NOT NULL,
    stream TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    reasons TEXT NOT NULL,
    raw TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (connection, stream, remote_id)
) WITHOUT ROWID;
