-- The version of the hazard data alone (issue 11): what the safety check's index is built from
-- (the rows of hazard_areas). A trigger bumps it in the same transaction as every statement that
-- inserts, updates or deletes areas, whatever wrote it (this program, another process, a
-- restore), so a reader that sees the same version sees the same areas. Account, field-report
-- and registry writes do not move it. `n` counts the changes; `token` is drawn at random on
-- every change, so a database restored from a copy and written again (the count coming back to
-- a number seen before) still shows a version never seen. Written to run again unharmed.
CREATE TABLE IF NOT EXISTS hazard_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL,
    token BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION demine_hazard_token() RETURNS BIGINT LANGUAGE sql VOLATILE AS
$$ SELECT ('x' || substr(md5(random()::text || clock_timestamp()::text), 1, 16))::bit(64)::bigint $$;

INSERT INTO hazard_version (id, n, token) VALUES (1, 1, demine_hazard_token())
    ON CONFLICT (id) DO NOTHING;

CREATE OR REPLACE FUNCTION demine_hazard_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hazard_version SET n = n + 1, token = demine_hazard_token() WHERE id = 1;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS hazard_version_on_change ON hazard_areas;
CREATE TRIGGER hazard_version_on_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hazard_areas
    FOR EACH STATEMENT EXECUTE FUNCTION demine_hazard_version_bump();

-- The packed index is now keyed on this version (entries = n, head = the token in decimal):
-- one made at an audit head is dropped, the next reader writes it again.
DELETE FROM hazard_index_cache;
