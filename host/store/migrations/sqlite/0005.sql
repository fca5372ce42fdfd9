-- sqlite migration 5: dunning: disputes, payment plans, the outbox, levels, charges, contacts.
CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    invoice TEXT NOT NULL,
    body TEXT NOT NULL,
    resolved_on TEXT
);
CREATE TABLE payment_plans (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    channel TEXT NOT NULL,
    planned_on TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error TEXT,
    delivered_at TEXT,
    receipt TEXT,
    task TEXT,
    snoozed_until TEXT,
    task_note TEXT,
    body TEXT NOT NULL
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
