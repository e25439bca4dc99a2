-- Hazardous areas and land release (issue 4). Geometry is WKB (EPSG:4326, lon/lat); an R*Tree
-- over each area's bounding box answers box queries without reading the geometry.

CREATE TABLE hazard_areas (
    id INTEGER PRIMARY KEY,
    reference TEXT,
    name TEXT,
    hazard_type TEXT NOT NULL CHECK (hazard_type IN ('SHA', 'CHA')),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed', 'handed-over')),
    source_status TEXT,
    iso3 TEXT,
    admin_area TEXT,
    organisation TEXT,
    reported TEXT,
    surveyed TEXT,
    notes TEXT,
    devices TEXT NOT NULL DEFAULT '[]',
    benchmark TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    radius_m REAL,
    geom BLOB NOT NULL,
    -- The recorded geometry minus every released perimeter; NULL while nothing was released.
    remaining BLOB,
    remaining_m2 REAL,
    version INTEGER NOT NULL DEFAULT 1,
    version_status TEXT NOT NULL DEFAULT 'draft' CHECK (version_status IN ('draft', 'approved')),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX hazard_areas_iso3 ON hazard_areas (iso3);
CREATE INDEX hazard_areas_status ON hazard_areas (status);

CREATE VIRTUAL TABLE hazard_area_bbox USING rtree (id, min_lon, max_lon, min_lat, max_lat);

-- Every superseded version of an area: the attributes as JSON and the geometry as it was.
CREATE TABLE hazard_area_versions (
    area_id INTEGER NOT NULL REFERENCES hazard_areas (id),
    version INTEGER NOT NULL,
    version_status TEXT NOT NULL,
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    superseded_at TEXT NOT NULL,
    superseded_by TEXT NOT NULL,
    data TEXT NOT NULL,
    geom BLOB NOT NULL,
    PRIMARY KEY (area_id, version)
);

CREATE TABLE release_activities (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES hazard_areas (id),
    kind TEXT NOT NULL CHECK (kind IN ('non-technical-survey', 'technical-survey', 'clearance')),
    start_date TEXT NOT NULL,
    end_date TEXT,
    organisation TEXT,
    method TEXT,
    depth_cm INTEGER,
    perimeter BLOB NOT NULL,
    perimeter_m2 REAL NOT NULL,
    released_m2 REAL NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);

CREATE INDEX release_activities_area ON release_activities (area_id);

CREATE TABLE device_finds (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES release_activities (id),
    category TEXT NOT NULL,
    model TEXT,
    lon REAL,
    lat REAL,
    depth_cm INTEGER,
    condition TEXT,
    destroyed TEXT
);

CREATE INDEX device_finds_activity ON device_finds (activity_id);

CREATE TABLE custom_fields (
    iso3 TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'choice')),
    choices TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (iso3, name)
);
