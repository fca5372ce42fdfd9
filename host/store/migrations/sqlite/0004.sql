-- sqlite migration 4: the history of the small kinds (customers, payments, reports) by key, so
-- reading them as of a date does not scan a million invoice versions. Partial, one per kind
-- (SQLite uses a partial index only when the query names its exact condition): invoice and credit
-- note versions, the bulk of every sync, pay no index cost.
CREATE INDEX record_history_customers ON record_history (connection, remote_id, id, valid_from)
WHERE kind = 'customer';
CREATE INDEX record_history_payments ON record_history (connection, remote_id, id, valid_from)
WHERE kind = 'payment';
CREATE INDEX record_history_reports ON record_history (connection, remote_id, id, valid_from)
WHERE kind = 'credit-report';
