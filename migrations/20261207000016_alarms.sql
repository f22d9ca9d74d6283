-- Alarms that trust only checked data (issue 24, part 4). Each observation's quality flag,
-- after the QARTOD tests (src/sensing/qc.rs), kept apart from the observation (it is onemap's
-- judgement, not the station's data, and is revised when the next value shows a spike).
CREATE TABLE sta_qc (
    observation_id bigint PRIMARY KEY REFERENCES sta_observation (id) ON DELETE CASCADE,
    flag           text NOT NULL CHECK (flag IN ('pass', 'suspect', 'fail', 'missing')),
    -- The tests that flagged it (a JSON list of names).
    tests          jsonb NOT NULL DEFAULT '[]'
);

-- An alarm: a station exceeding its standard (on passing data, with hysteresis), an
-- instrument failing its checks, or a station gone silent; raised → acknowledged → cleared.
CREATE TABLE alarm (
    id              bigserial PRIMARY KEY,
    thing_id        bigint NOT NULL REFERENCES sta_thing (id) ON DELETE CASCADE,
    datastream_id   bigint REFERENCES sta_datastream (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('exceedance', 'instrument', 'silent')),
    -- The standard's item (COD, PM2.5), for exceedances and instrument faults.
    item            text,
    status          text NOT NULL DEFAULT 'raised' CHECK (status IN ('raised', 'acknowledged', 'cleared')),
    raised_at       timestamptz NOT NULL DEFAULT now(),
    -- The value that raised it, when it was observed, and the limit it broke.
    observed_at     timestamptz,
    value           double precision,
    threshold       double precision,
    detail          jsonb NOT NULL DEFAULT '{}',
    acknowledged_by text,
    acknowledged_at timestamptz,
    cleared_at      timestamptz,
    intake_id       bigint REFERENCES intake (id) ON DELETE SET NULL,
    CHECK ((status = 'cleared') = (cleared_at IS NOT NULL)),
    CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
);
-- One open alarm of a kind per datastream (per station for silence).
CREATE UNIQUE INDEX alarm_open ON alarm (thing_id, kind, coalesce(datastream_id, 0)) WHERE status <> 'cleared';
CREATE INDEX alarm_raised ON alarm (raised_at DESC);
SELECT onemap_audit_tables(ARRAY['alarm']);

CREATE OR REPLACE VIEW stations AS
SELECT t.id, t.name, t.description, s.medium, s.class, s.target, s.meets_target, s.aqi, s.category,
       s.detail->>'colour' AS colour, s.latest_time, h.mn,
       (SELECT x.code FROM district x WHERE ST_Covers(x.geom, l.geom) ORDER BY x.code LIMIT 1) AS district,
       ST_PointOnSurface(l.geom) AS geom,
       (SELECT count(*) FROM alarm a WHERE a.thing_id = t.id AND a.status <> 'cleared')::int AS alarms
  FROM sta_thing t
  JOIN LATERAL (SELECT loc.geom FROM sta_thing_location tl JOIN sta_location loc ON loc.id = tl.location_id
                 WHERE tl.thing_id = t.id ORDER BY loc.id LIMIT 1) l ON true
  LEFT JOIN station_state s ON s.thing_id = t.id
  LEFT JOIN hj212_station h ON h.thing_id = t.id;
