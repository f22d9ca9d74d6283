-- What every station says now (issue 24, parts 1 and 6): its water class or AQI from its latest
-- values, kept by onemap whenever observations arrive (src/sensing/state.rs), and the view
-- `stations` that the map and OGC API read.
CREATE TABLE station_state (
    thing_id     bigint PRIMARY KEY REFERENCES sta_thing (id) ON DELETE CASCADE,
    medium       text NOT NULL CHECK (medium IN ('water', 'air')),
    class        text CHECK (class IN ('Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', '劣Ⅴ')),
    target       text CHECK (target IN ('Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ')),
    meets_target boolean,
    aqi          double precision CHECK (aqi >= 0),
    category     text,
    -- Each item's value and class (or IAQI), as the standards' calculators answer.
    detail       jsonb NOT NULL,
    latest_time  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW stations AS
SELECT t.id, t.name, t.description, s.medium, s.class, s.target, s.meets_target, s.aqi, s.category,
       s.detail->>'colour' AS colour, s.latest_time, h.mn,
       (SELECT x.code FROM district x WHERE ST_Covers(x.geom, l.geom) ORDER BY x.code LIMIT 1) AS district,
       ST_PointOnSurface(l.geom) AS geom
  FROM sta_thing t
  JOIN LATERAL (SELECT loc.geom FROM sta_thing_location tl JOIN sta_location loc ON loc.id = tl.location_id
                 WHERE tl.thing_id = t.id ORDER BY loc.id LIMIT 1) l ON true
  LEFT JOIN station_state s ON s.thing_id = t.id
  LEFT JOIN hj212_station h ON h.thing_id = t.id;
