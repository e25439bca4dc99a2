-- The safety check's hazard rows in one packed blob (issue 11), so that a check of the whole
-- store reads one row instead of every area. A cache, not a fact: no audit entry, not in dumps.
-- Keyed by the data version it was made at (the audit head: entries and last hash) and verified
-- by the SHA-256 of its bytes; a cache at another version, or whose bytes do not match, is
-- rebuilt from the areas, never trusted.
CREATE TABLE IF NOT EXISTS hazard_index_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entries BIGINT NOT NULL,
    head TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL
);
