-- Field reports of accidents (issue 9): an accident and victim report is a draft an editor
-- approves, like an area or an activity. SQLite cannot change a CHECK constraint, so the table is
-- rebuilt with the new kind allowed and every row copied as it is. Re-applied on a copy whose
-- migration records were rewound, it rebuilds the same table with the same rows.

CREATE TABLE IF NOT EXISTS field_reports_0051 (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('new-area', 'area-change', 'activity', 'accident')),
    iso3 TEXT NOT NULL,
    organisation TEXT,
    area_id BIGINT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'rejected', 'superseded')),
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reviewer TEXT,
    decided_at TEXT,
    note TEXT,
    supersedes BIGINT,
    outcome TEXT
);

INSERT INTO field_reports_0051 (id, kind, iso3, organisation, area_id, payload, status, author,
    created_at, updated_at, reviewer, decided_at, note, supersedes, outcome)
SELECT id, kind, iso3, organisation, area_id, payload, status, author, created_at, updated_at,
    reviewer, decided_at, note, supersedes, outcome FROM field_reports;

DROP TABLE field_reports;

ALTER TABLE field_reports_0051 RENAME TO field_reports;

CREATE INDEX IF NOT EXISTS field_reports_iso3 ON field_reports (iso3);
