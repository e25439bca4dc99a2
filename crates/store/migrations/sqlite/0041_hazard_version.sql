-- The version of the hazard data alone (issue 11): what the safety check's index is built from
-- (the rows of hazard_areas, and the R*Tree written beside them). Triggers bump it in the same
-- transaction as every insert, update or delete of an area, whatever wrote it (this program,
-- another process, a restore), so a reader that sees the same version sees the same areas.
-- Account, field-report and registry writes do not move it. `n` counts the changes; `token`
-- is drawn at random on every change, so a database restored from a copy and written again
-- (the count coming back to a number seen before) still shows a version never seen.
CREATE TABLE IF NOT EXISTS hazard_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL,
    token INTEGER NOT NULL
);
INSERT OR IGNORE INTO hazard_version (id, n, token) VALUES (1, 1, random());

CREATE TRIGGER IF NOT EXISTS hazard_version_on_insert AFTER INSERT ON hazard_areas
BEGIN
    UPDATE hazard_version SET n = n + 1, token = random() WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS hazard_version_on_update AFTER UPDATE ON hazard_areas
BEGIN
    UPDATE hazard_version SET n = n + 1, token = random() WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS hazard_version_on_delete AFTER DELETE ON hazard_areas
BEGIN
    UPDATE hazard_version SET n = n + 1, token = random() WHERE id = 1;
END;

-- The packed index is now keyed on this version (entries = n, head = the token in decimal):
-- one made at an audit head is dropped, the next reader writes it again.
DELETE FROM hazard_index_cache;
