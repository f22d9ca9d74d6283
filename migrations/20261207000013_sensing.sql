-- Monitoring (issue 24, part 1): the data model of OGC SensorThings API 1.1, Part 1 Sensing.
-- A station (a fixed automatic station or an emergency sampling point) is a Thing at a
-- Location; what it measures is a Datastream (a Sensor observing an ObservedProperty, in a unit);
-- each measurement an Observation of a FeatureOfInterest. Metadata is audited as the registry
-- is; observations are audited when changed or deleted, not when posted (a station posts
-- thousands an hour: the posting token is the record of who sent them).

CREATE TABLE sta_thing (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    properties  jsonb CHECK (properties IS NULL OR jsonb_typeof(properties) = 'object')
);

CREATE TABLE sta_location (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    encoding_type text NOT NULL DEFAULT 'application/geo+json',
    -- Named `geom` so that jurisdiction (onemap_in_district) reads it as every layer's.
    geom          geometry(Geometry, 4326) NOT NULL,
    properties    jsonb CHECK (properties IS NULL OR jsonb_typeof(properties) = 'object')
);
CREATE INDEX sta_location_geom ON sta_location USING gist (geom);

CREATE TABLE sta_thing_location (
    thing_id    bigint NOT NULL REFERENCES sta_thing (id) ON DELETE CASCADE,
    location_id bigint NOT NULL REFERENCES sta_location (id) ON DELETE CASCADE,
    PRIMARY KEY (thing_id, location_id)
);
CREATE INDEX sta_thing_location_location ON sta_thing_location (location_id);

CREATE TABLE sta_historical_location (
    id       bigserial PRIMARY KEY,
    thing_id bigint NOT NULL REFERENCES sta_thing (id) ON DELETE CASCADE,
    time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sta_historical_location_thing ON sta_historical_location (thing_id, time);

CREATE TABLE sta_location_history (
    historical_location_id bigint NOT NULL REFERENCES sta_historical_location (id) ON DELETE CASCADE,
    location_id            bigint NOT NULL REFERENCES sta_location (id) ON DELETE CASCADE,
    PRIMARY KEY (historical_location_id, location_id)
);
CREATE INDEX sta_location_history_location ON sta_location_history (location_id);

CREATE TABLE sta_sensor (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    encoding_type text NOT NULL CHECK (encoding_type <> '' AND length(encoding_type) <= 200),
    metadata      text NOT NULL CHECK (length(metadata) <= 2000),
    properties    jsonb CHECK (properties IS NULL OR jsonb_typeof(properties) = 'object')
);

CREATE TABLE sta_observed_property (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    definition  text NOT NULL CHECK (length(definition) <= 500),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    properties  jsonb CHECK (properties IS NULL OR jsonb_typeof(properties) = 'object')
);

CREATE TABLE sta_datastream (
    id                   bigserial PRIMARY KEY,
    name                 text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    unit_of_measurement  jsonb NOT NULL CHECK (jsonb_typeof(unit_of_measurement) = 'object'),
    observation_type     text NOT NULL CHECK (observation_type <> '' AND length(observation_type) <= 200),
    properties           jsonb CHECK (properties IS NULL OR jsonb_typeof(properties) = 'object'),
    thing_id             bigint NOT NULL REFERENCES sta_thing (id) ON DELETE CASCADE,
    sensor_id            bigint NOT NULL REFERENCES sta_sensor (id) ON DELETE CASCADE,
    observed_property_id bigint NOT NULL REFERENCES sta_observed_property (id) ON DELETE CASCADE
);
CREATE INDEX sta_datastream_thing ON sta_datastream (thing_id);
CREATE INDEX sta_datastream_sensor ON sta_datastream (sensor_id);
CREATE INDEX sta_datastream_observed_property ON sta_datastream (observed_property_id);

CREATE TABLE sta_feature_of_interest (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    description   text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    encoding_type text NOT NULL DEFAULT 'application/geo+json',
    geom          geometry(Geometry, 4326) NOT NULL,
    properties    jsonb CHECK (properties IS NULL OR jsonb_typeof(properties) = 'object'),
    -- The Location this feature was made from, when an observation came without one (the
    -- standard's rule): later observations of the same Location reuse it.
    location_id   bigint UNIQUE REFERENCES sta_location (id) ON DELETE SET NULL
);
CREATE INDEX sta_feature_of_interest_geom ON sta_feature_of_interest USING gist (geom);

CREATE TABLE sta_observation (
    id                     bigserial PRIMARY KEY,
    datastream_id          bigint NOT NULL REFERENCES sta_datastream (id) ON DELETE CASCADE,
    feature_of_interest_id bigint NOT NULL REFERENCES sta_feature_of_interest (id) ON DELETE CASCADE,
    phenomenon_time        timestamptz NOT NULL,
    -- Set when the phenomenon time is an interval (an hourly mean: its start and end).
    phenomenon_time_end    timestamptz CHECK (phenomenon_time_end >= phenomenon_time),
    result_time            timestamptz,
    -- A number (nearly every measurement) in `result`, anything else in `result_other`.
    result                 double precision,
    result_other           jsonb,
    result_quality         jsonb,
    valid_time_start       timestamptz,
    valid_time_end         timestamptz CHECK (valid_time_end >= valid_time_start),
    parameters             jsonb CHECK (parameters IS NULL OR jsonb_typeof(parameters) = 'object'),
    CHECK (result IS NULL OR result_other IS NULL),
    CHECK ((valid_time_start IS NULL) = (valid_time_end IS NULL))
);
CREATE INDEX sta_observation_datastream_time ON sta_observation (datastream_id, phenomenon_time DESC);
CREATE INDEX sta_observation_feature ON sta_observation (feature_of_interest_id);

-- The latest observation of every datastream, and the span of its phenomenon times, kept by
-- triggers: "the latest value of every station" reads this, never a scan of the observations.
CREATE TABLE sta_latest (
    datastream_id   bigint PRIMARY KEY REFERENCES sta_datastream (id) ON DELETE CASCADE,
    observation_id  bigint NOT NULL,
    phenomenon_time timestamptz NOT NULL,
    result          double precision,
    result_other    jsonb,
    first_time      timestamptz NOT NULL,
    last_time       timestamptz NOT NULL
);

CREATE FUNCTION sta_latest_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sta_latest AS l (datastream_id, observation_id, phenomenon_time, result, result_other, first_time, last_time)
    SELECT DISTINCT ON (n.datastream_id) n.datastream_id, n.id, n.phenomenon_time, n.result, n.result_other,
           min(n.phenomenon_time) OVER w, max(coalesce(n.phenomenon_time_end, n.phenomenon_time)) OVER w
      FROM new_rows n
    WINDOW w AS (PARTITION BY n.datastream_id)
     ORDER BY n.datastream_id, n.phenomenon_time DESC, n.id DESC
    ON CONFLICT (datastream_id) DO UPDATE SET
        observation_id  = CASE WHEN EXCLUDED.phenomenon_time >= l.phenomenon_time THEN EXCLUDED.observation_id ELSE l.observation_id END,
        result          = CASE WHEN EXCLUDED.phenomenon_time >= l.phenomenon_time THEN EXCLUDED.result ELSE l.result END,
        result_other    = CASE WHEN EXCLUDED.phenomenon_time >= l.phenomenon_time THEN EXCLUDED.result_other ELSE l.result_other END,
        phenomenon_time = greatest(EXCLUDED.phenomenon_time, l.phenomenon_time),
        first_time      = least(EXCLUDED.first_time, l.first_time),
        last_time       = greatest(EXCLUDED.last_time, l.last_time);
    RETURN NULL;
END $$;
CREATE TRIGGER sta_latest_insert AFTER INSERT ON sta_observation REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sta_latest_insert();

-- After a change or a deletion, the datastreams it touched are summed up again from their rows.
CREATE FUNCTION sta_latest_again(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM sta_latest l WHERE l.datastream_id = ANY(sta_latest_again.ids)
       AND NOT EXISTS (SELECT 1 FROM sta_observation o WHERE o.datastream_id = l.datastream_id);
    INSERT INTO sta_latest AS l (datastream_id, observation_id, phenomenon_time, result, result_other, first_time, last_time)
    SELECT d.id, o.id, o.phenomenon_time, o.result, o.result_other,
           (SELECT min(x.phenomenon_time) FROM sta_observation x WHERE x.datastream_id = d.id),
           (SELECT max(coalesce(x.phenomenon_time_end, x.phenomenon_time)) FROM sta_observation x WHERE x.datastream_id = d.id)
      FROM unnest(sta_latest_again.ids) AS d(id)
      CROSS JOIN LATERAL (SELECT * FROM sta_observation x WHERE x.datastream_id = d.id
                           ORDER BY x.phenomenon_time DESC, x.id DESC LIMIT 1) o
    ON CONFLICT (datastream_id) DO UPDATE SET
        observation_id = EXCLUDED.observation_id, phenomenon_time = EXCLUDED.phenomenon_time,
        result = EXCLUDED.result, result_other = EXCLUDED.result_other,
        first_time = EXCLUDED.first_time, last_time = EXCLUDED.last_time;
$$;

CREATE FUNCTION sta_latest_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM sta_latest_again(array(SELECT DISTINCT datastream_id FROM old_rows
                                       UNION SELECT DISTINCT datastream_id FROM new_rows));
    ELSE
        PERFORM sta_latest_again(array(SELECT DISTINCT datastream_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sta_latest_update AFTER UPDATE ON sta_observation REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sta_latest_changed();
CREATE TRIGGER sta_latest_delete AFTER DELETE ON sta_observation REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sta_latest_changed();

SELECT onemap_audit_tables(ARRAY['sta_thing', 'sta_location', 'sta_historical_location', 'sta_sensor',
                                 'sta_observed_property', 'sta_datastream', 'sta_feature_of_interest']);
CREATE TRIGGER sta_observation_audit_update AFTER UPDATE ON sta_observation REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();
CREATE TRIGGER sta_observation_audit_delete AFTER DELETE ON sta_observation REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();

-- Jurisdiction: a station's rows belong where its Locations lie (all of them); sensors and
-- observed properties are the city's shared catalogue, written by city-wide users.
CREATE OR REPLACE FUNCTION onemap_in_district(tbl text, r jsonb, code text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d record;
    has_geom boolean;
BEGIN
    IF r IS NULL OR jsonb_typeof(r) <> 'object' THEN
        RETURN false;
    END IF;
    SELECT x.name, x.code, x.geom INTO d FROM district x WHERE x.code = onemap_in_district.code;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    CASE tbl
    WHEN 'district' THEN
        RETURN r->>'code' = d.code;
    WHEN 'stock_item' THEN
        RETURN EXISTS (SELECT 1 FROM depot p WHERE p.id = (r->>'depot_id')::bigint
                         AND onemap_in_district('depot', to_jsonb(p), d.code));
    WHEN 'inspection', 'risk_substance' THEN
        RETURN EXISTS (SELECT 1 FROM risk_source p WHERE p.id = (r->>'risk_source_id')::bigint
                         AND onemap_in_district('risk_source', to_jsonb(p), d.code));
    WHEN 'dispatch', 'incident_report', 'phone_report' THEN
        RETURN EXISTS (SELECT 1 FROM incident p WHERE p.id = (r->>'incident_id')::bigint
                         AND onemap_in_district('incident', to_jsonb(p), d.code));
    WHEN 'dispatch_item' THEN
        RETURN EXISTS (SELECT 1 FROM dispatch p WHERE p.id = (r->>'dispatch_id')::bigint
                         AND onemap_in_district('dispatch', to_jsonb(p), d.code));
    WHEN 'turn_restriction' THEN
        RETURN EXISTS (SELECT 1 FROM route p WHERE p.id = (r->>'from_route_id')::bigint
                         AND onemap_in_district('route', to_jsonb(p), d.code));
    WHEN 'plan' THEN
        RETURN r->>'district' = d.code;
    WHEN 'plan_source', 'plan_version', 'plan_filing', 'plan_finding', 'plan_site' THEN
        RETURN EXISTS (SELECT 1 FROM plan p WHERE p.id = (r->>'plan_id')::bigint AND p.district = d.code);
    WHEN 'plan_document', 'plan_scenario' THEN
        RETURN EXISTS (SELECT 1 FROM plan_version v JOIN plan p ON p.id = v.plan_id
                        WHERE v.id = (r->>'version_id')::bigint AND p.district = d.code);
    WHEN 'sta_thing' THEN
        RETURN EXISTS (SELECT 1 FROM sta_thing_location tl WHERE tl.thing_id = (r->>'id')::bigint)
           AND NOT EXISTS (SELECT 1 FROM sta_thing_location tl JOIN sta_location l ON l.id = tl.location_id
                            WHERE tl.thing_id = (r->>'id')::bigint AND NOT ST_CoveredBy(l.geom, d.geom));
    WHEN 'sta_datastream', 'sta_historical_location' THEN
        RETURN EXISTS (SELECT 1 FROM sta_thing p WHERE p.id = (r->>'thing_id')::bigint
                         AND onemap_in_district('sta_thing', to_jsonb(p), d.code));
    WHEN 'sta_observation' THEN
        RETURN EXISTS (SELECT 1 FROM sta_datastream p WHERE p.id = (r->>'datastream_id')::bigint
                         AND onemap_in_district('sta_datastream', to_jsonb(p), d.code));
    WHEN 'app_user', 'api_token' THEN
        RETURN false;
    ELSE
        has_geom := coalesce(jsonb_typeof(r->'geom') = 'object', false);
        IF r->>'district' IS NULL AND NOT has_geom THEN
            RETURN false;
        END IF;
        RETURN (r->>'district' IS NULL OR r->>'district' IN (d.name, d.code))
           AND (NOT has_geom OR ST_CoveredBy(ST_SetSRID(ST_GeomFromGeoJSON(r->'geom'), 4326), d.geom));
    END CASE;
END $$;
