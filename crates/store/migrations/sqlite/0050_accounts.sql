-- Accounts of the HTTP server (issue 11): users with a role and a scope, browser sessions, API
-- tokens (only their SHA-256 is kept) and field reports (drafts awaiting review). Additive (IF NOT
-- EXISTS: re-applied on a copy whose migration records were rewound, it changes nothing): an
-- existing database gains empty tables.

CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('administrator', 'editor', 'reviewer', 'viewer')),
    iso3 TEXT,
    organisation TEXT,
    restricted INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_name);

CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS field_reports (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('new-area', 'area-change', 'activity')),
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

CREATE INDEX IF NOT EXISTS field_reports_iso3 ON field_reports (iso3);
