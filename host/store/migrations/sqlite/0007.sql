-- sqlite migration 7: hold releases; what the document projection needs to derive open amounts.
CREATE TABLE hold_releases (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    body TEXT NOT NULL
);
-- Whether the source stated a document's outstanding amount, and the invoice a credit note
-- names: without a stated amount, evaluation derives what is open from payments and credit
-- notes. The projection is rebuilt from the history after this migration.
ALTER TABLE document_facts ADD COLUMN stated INTEGER NOT NULL DEFAULT 1;
ALTER TABLE document_facts ADD COLUMN preceding TEXT;
-- The invoices a promise to pay names (a JSON array of keys; empty: all of its currency).
ALTER TABLE promises ADD COLUMN invoices TEXT NOT NULL DEFAULT '[]';
-- Delivered actions of one kind (the holds an evaluation reads, one-off tasks) without a scan.
CREATE INDEX outbox_kind_status ON outbox (kind, status);
