-- The treaty's record (issue 8): the documents it cites, the Meetings that decide, the findings
-- of new use; the meeting and legal basis of an extension, the meeting of a declaration.

ALTER TABLE treaty_events ADD COLUMN meeting TEXT;

-- requested_until may be unknown (the source does not give it): SQLite cannot drop a NOT NULL, so
-- the table is rebuilt, keeping every row and its row_id (the order rows were first stored).
CREATE TABLE extension_requests_new (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    submitted TEXT NOT NULL,
    requested_until TEXT,
    decision TEXT NOT NULL,
    decided_on TEXT,
    granted_until TEXT,
    source TEXT NOT NULL,
    note TEXT,
    meeting TEXT,
    basis TEXT NOT NULL DEFAULT 'art5',
    UNIQUE (iso3, submitted)
);
INSERT INTO extension_requests_new
    (row_id, iso3, submitted, requested_until, decision, decided_on, granted_until, source, note)
SELECT row_id, iso3, submitted, requested_until, decision, decided_on, granted_until, source, note
FROM extension_requests;
DROP TABLE extension_requests;
ALTER TABLE extension_requests_new RENAME TO extension_requests;
CREATE INDEX extension_requests_iso3 ON extension_requests (iso3);

CREATE TABLE sources (
    row_id INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    publisher TEXT NOT NULL,
    year INTEGER NOT NULL,
    url TEXT NOT NULL,
    UNIQUE (id)
);

CREATE TABLE meetings (
    row_id INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    number INTEGER,
    city TEXT,
    country_iso3 TEXT REFERENCES states (iso3),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (id)
);

CREATE TABLE use_findings (
    row_id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    actor_kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    finding TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT,
    UNIQUE (year, iso3, actor, source)
);

CREATE INDEX use_findings_iso3 ON use_findings (iso3);
