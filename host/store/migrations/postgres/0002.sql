-- postgres migration 2: hold releases; what the document projection needs to derive open amounts.
CREATE TABLE hold_releases (
    id BIGSERIAL PRIMARY KEY,
    customer TEXT NOT NULL,
    body TEXT NOT NULL
);
-- Whether the source stated a document's outstanding amount, and the invoice a credit note
-- names: without a stated amount, evaluation derives what is open from payments and credit
-- notes. Rows written before this migration count as stated.
ALTER TABLE document_facts ADD COLUMN stated BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE document_facts ADD COLUMN preceding TEXT;
-- The invoices a promise to pay names (a JSON array of keys; empty: all of its currency).
ALTER TABLE promises ADD COLUMN invoices TEXT NOT NULL DEFAULT '[]';
-- Delivered actions of one kind (the holds an evaluation reads, one-off tasks) without a scan.
CREATE INDEX outbox_kind_status ON outbox (kind, status);
