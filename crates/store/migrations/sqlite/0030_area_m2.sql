-- Each area's recorded ellipsoidal area in m² (issue 10), measured once when the geometry is
-- written, so that totals sum a column instead of measuring every geometry at report time.
-- Derived from geom, never entered: NULL until measured (rows from before this migration and
-- rows restored from a dump are measured when the store is next opened for writing); readers
-- measure the geometry themselves wherever it is NULL.
ALTER TABLE hazard_areas ADD COLUMN area_m2 REAL;

-- The land release totalled by year and kind reads only these columns: a covering index spares
-- the scan the activities' perimeters.
CREATE INDEX IF NOT EXISTS release_activities_totals
    ON release_activities (end_date, start_date, kind, released_m2);
