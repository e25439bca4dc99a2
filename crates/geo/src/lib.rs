//! Geodesy on the WGS84 ellipsoid, the spatial index behind the safety check, and format readers.
