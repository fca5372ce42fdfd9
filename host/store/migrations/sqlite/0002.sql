-- sqlite migration 2: promises to pay, recorded by people.
CREATE TABLE promises (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    promised_for TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    by TEXT NOT NULL,
    note TEXT
);
