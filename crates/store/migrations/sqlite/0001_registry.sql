-- The registry (issue 3): States, treaty events and the data about them, and the audit log.

-- Key/value facts about the database itself (whether the bundled data was loaded, ...).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE states (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL,
    name TEXT NOT NULL,
    un_member BOOLEAN NOT NULL,
    treaty_universe BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (iso3)
);

CREATE TABLE treaty_events (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    event TEXT NOT NULL,
    date TEXT NOT NULL,
    end_date TEXT,
    instrument TEXT,
    succession_date TEXT,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (iso3, event, date)
);

CREATE INDEX treaty_events_iso3 ON treaty_events (iso3);

CREATE TABLE extension_requests (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    submitted TEXT NOT NULL,
    requested_until TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_on TEXT,
    granted_until TEXT,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (iso3, submitted)
);

CREATE INDEX extension_requests_iso3 ON extension_requests (iso3);

CREATE TABLE transparency_reports (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    received TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (iso3, kind, year)
);

CREATE INDEX transparency_reports_iso3 ON transparency_reports (iso3);

CREATE TABLE positions (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    state TEXT,
    position TEXT NOT NULL,
    as_of TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (iso3, as_of, source)
);

CREATE INDEX positions_iso3 ON positions (iso3);

CREATE TABLE commitments (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    commitment TEXT NOT NULL,
    due TEXT,
    source TEXT NOT NULL,
    note TEXT,
    outcome TEXT,
    outcome_date TEXT,
    UNIQUE (iso3, commitment)
);

CREATE INDEX commitments_iso3 ON commitments (iso3);

CREATE TABLE estimates (
    row_id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    iso3 TEXT REFERENCES states (iso3),
    measure TEXT NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    unit TEXT NOT NULL,
    as_of TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (subject, measure, as_of, source)
);

CREATE TABLE stockpiles (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    date TEXT NOT NULL,
    record TEXT NOT NULL,
    device_type TEXT NOT NULL,
    quantity INTEGER,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (iso3, date, record, device_type)
);

CREATE INDEX stockpiles_iso3 ON stockpiles (iso3);

CREATE TABLE casualties (
    row_id INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    date TEXT NOT NULL,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    admin_area TEXT,
    device_category TEXT NOT NULL,
    killed INTEGER NOT NULL,
    injured INTEGER NOT NULL,
    "group" TEXT NOT NULL,
    age_group TEXT NOT NULL,
    sex TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (id)
);

CREATE INDEX casualties_iso3 ON casualties (iso3);

CREATE TABLE casualty_identities (
    row_id INTEGER PRIMARY KEY,
    casualty_id TEXT NOT NULL REFERENCES casualties (id),
    person_name TEXT NOT NULL,
    birth_date TEXT,
    contact TEXT,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (casualty_id, person_name)
);

CREATE TABLE funding (
    row_id INTEGER PRIMARY KEY,
    donor TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_iso3 TEXT REFERENCES states (iso3),
    year INTEGER NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    purpose TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (donor, recipient, year, purpose)
);

-- The append-only audit log: every change, who made it and when, with the row before and after
-- (JSON) and a SHA-256 hash chained to the previous entry, so that editing any entry is detectable.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    before TEXT,
    after TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- Only a restore (which replaces the whole database inside one transaction and says so in meta)
-- may remove entries.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'restoring')
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
