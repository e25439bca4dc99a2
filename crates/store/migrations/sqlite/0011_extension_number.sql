-- An extension request is keyed by its place in the State's requests (`number`: 1 for its first
-- request, refusals counted), which the record can always give, rather than by its submission
-- date, which the sources often do not give: `submitted` becomes optional. SQLite cannot change a
-- key or drop a NOT NULL, so the table is rebuilt, keeping every row and its row_id; rows stored
-- before are numbered per State in the order they were submitted.
CREATE TABLE extension_requests_new (
    row_id INTEGER PRIMARY KEY,
    iso3 TEXT NOT NULL REFERENCES states (iso3),
    number INTEGER NOT NULL,
    submitted TEXT,
    requested_until TEXT,
    decision TEXT NOT NULL,
    decided_on TEXT,
    granted_until TEXT,
    source TEXT NOT NULL,
    note TEXT,
    meeting TEXT,
    basis TEXT NOT NULL DEFAULT 'art5',
    UNIQUE (iso3, number)
);
INSERT INTO extension_requests_new
    (row_id, iso3, number, submitted, requested_until, decision, decided_on, granted_until,
     source, note, meeting, basis)
SELECT row_id, iso3, ROW_NUMBER() OVER (PARTITION BY iso3 ORDER BY submitted, row_id),
       submitted, requested_until, decision, decided_on, granted_until, source, note, meeting, basis
FROM extension_requests;
DROP TABLE extension_requests;
ALTER TABLE extension_requests_new RENAME TO extension_requests;
CREATE INDEX extension_requests_iso3 ON extension_requests (iso3);

-- A source's year may be unknown (an undated web page, cited "n.d."): rebuilt for the same reason.
CREATE TABLE sources_new (
    row_id INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    publisher TEXT NOT NULL,
    year INTEGER,
    url TEXT NOT NULL,
    UNIQUE (id)
);
INSERT INTO sources_new (row_id, id, title, publisher, year, url)
SELECT row_id, id, title, publisher, year, url FROM sources;
DROP TABLE sources;
ALTER TABLE sources_new RENAME TO sources;
