-- The treaty's record (issue 8): the documents it cites, the Meetings that decide, the findings
-- of new use; the meeting and legal basis of an extension, the meeting of a declaration.

ALTER TABLE treaty_events ADD COLUMN meeting TEXT;
ALTER TABLE extension_requests ADD COLUMN meeting TEXT;
ALTER TABLE extension_requests ADD COLUMN basis TEXT NOT NULL DEFAULT 'art5';

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
    UNIQUE (year, iso3, actor)
);

CREATE INDEX use_findings_iso3 ON use_findings (iso3);
