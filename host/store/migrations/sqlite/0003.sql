-- sqlite migration 3: a narrow projection of invoices and credit notes, one row per version with
-- the time it stopped being current, so credit evaluation reads what it needs as of any date
-- without decoding the documents. Dates are days of the common era, amounts `Decimal::serialize`
-- bytes: no parsing on the way out. Filled from the history by `backfill_document_facts`.
CREATE TABLE document_facts (
    history_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    connection TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    number TEXT NOT NULL,
    currency TEXT NOT NULL,
    issue INTEGER NOT NULL,
    due INTEGER,
    payable BLOB NOT NULL,
    outstanding BLOB NOT NULL,
    status TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT
);
