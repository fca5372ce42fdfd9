-- postgres migration 1: everything the embedded store has after its sixth migration.
CREATE TABLE records (
    connection TEXT NOT NULL,
    kind TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    deleted BOOLEAN NOT NULL,
    digest BYTEA NOT NULL,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    current BIGINT NOT NULL,
    PRIMARY KEY (connection, kind, remote_id)
);
CREATE TABLE record_history (
    id BIGSERIAL PRIMARY KEY,
    connection TEXT NOT NULL,
    kind TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    change TEXT NOT NULL,
    origin TEXT NOT NULL,
    body TEXT
);
CREATE INDEX record_history_by_key ON record_history (kind, connection, remote_id, id);
CREATE TABLE cursors (
    connection TEXT NOT NULL,
    stream TEXT NOT NULL,
    cursor TEXT,
    complete BOOLEAN NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, stream)
);
CREATE TABLE quarantine (
    connection TEXT NOT NULL,
    stream TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    reasons TEXT NOT NULL,
    raw TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (connection, stream, remote_id)
);
CREATE TABLE promises (
    id BIGSERIAL PRIMARY KEY,
    customer TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    promised_for TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    taken_by TEXT NOT NULL,
    note TEXT
);
CREATE TABLE document_facts (
    history_id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    connection TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    number TEXT NOT NULL,
    currency TEXT NOT NULL,
    issue BIGINT NOT NULL,
    due BIGINT,
    payable BYTEA NOT NULL,
    outstanding BYTEA NOT NULL,
    status TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT
);
CREATE TABLE disputes (
    id BIGSERIAL PRIMARY KEY,
    invoice TEXT NOT NULL,
    body TEXT NOT NULL,
    resolved_on TEXT
);
CREATE TABLE payment_plans (
    id BIGSERIAL PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    seq BIGSERIAL NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    channel TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error TEXT,
    delivered_at TEXT,
    receipt TEXT,
    task TEXT,
    snoozed_until TEXT,
    task_note TEXT,
    body TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt, seq);
CREATE TABLE outbox_invoices (
    action TEXT NOT NULL,
    invoice TEXT NOT NULL,
    step TEXT NOT NULL,
    PRIMARY KEY (action, invoice)
);
CREATE TABLE dunning_levels (
    invoice TEXT PRIMARY KEY,
    step TEXT NOT NULL,
    delivered_on TEXT NOT NULL,
    action TEXT NOT NULL
);
CREATE TABLE dunning_charges (
    action TEXT NOT NULL,
    invoice TEXT NOT NULL,
    kind TEXT NOT NULL,
    through TEXT,
    amount TEXT NOT NULL,
    PRIMARY KEY (action, invoice, kind)
);
CREATE TABLE dunning_contacts (
    account TEXT PRIMARY KEY,
    last_on TEXT NOT NULL
);
CREATE TABLE schedule (
    job TEXT PRIMARY KEY,
    holder TEXT,
    lease_until TEXT,
    next_due TEXT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    last_started TEXT,
    last_finished TEXT,
    last_error TEXT
);
