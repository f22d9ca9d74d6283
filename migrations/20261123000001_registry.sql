-- The registry of the one map: every layer in WGS 84 (EPSG:4326), with type and SRID
-- constraints, GiST indexes, timestamps, and a NOTIFY on every change for the live map.
CREATE EXTENSION IF NOT EXISTS postgis;

-- One trigger function for all layers: keeps updated_at and tells listeners what changed.
-- Payload: {"layer": "<table>", "id": <id>, "op": "insert|update|delete"}.
CREATE FUNCTION onemap_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION onemap_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_id bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN row_id := OLD.id; ELSE row_id := NEW.id; END IF;
    PERFORM pg_notify('onemap_change', json_build_object(
        'layer', TG_TABLE_NAME, 'id', row_id, 'op', lower(TG_OP))::text);
    RETURN NULL;
END $$;

CREATE TABLE district (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL CHECK (name <> ''),
    parent_code text CHECK (parent_code ~ '^[0-9]{6}$'),
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE risk_source (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    credit_code  text CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
    industry     text,
    district     text,
    -- HJ 941-2018 inputs: process and control level, environment sensitivity (air, water).
    m_air        text CHECK (m_air IN ('M1', 'M2', 'M3', 'M4')),
    e_air        text CHECK (e_air IN ('E1', 'E2', 'E3')),
    m_water      text CHECK (m_water IN ('M1', 'M2', 'M3', 'M4')),
    e_water      text CHECK (e_water IN ('E1', 'E2', 'E3')),
    air_grade    text CHECK (air_grade IN ('一般', '较大', '重大')),
    water_grade  text CHECK (water_grade IN ('一般', '较大', '重大')),
    -- The higher of the two grades: what the map colours and what `grade=` filters on.
    grade        text GENERATED ALWAYS AS (
        CASE WHEN '重大' IN (air_grade, water_grade) THEN '重大'
             WHEN '较大' IN (air_grade, water_grade) THEN '较大'
             WHEN '一般' IN (air_grade, water_grade) THEN '一般' END) STORED,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    geom         geometry(Geometry, 4326) NOT NULL
                 CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom)),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The hazardous substances a risk source holds (HJ 941 Q = sum of quantity / threshold).
CREATE TABLE risk_substance (
    id             bigserial PRIMARY KEY,
    risk_source_id bigint NOT NULL REFERENCES risk_source (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (name <> ''),
    cas            text CHECK (cas ~ '^[0-9]{2,7}-[0-9]{2}-[0-9]$'),
    quantity_t     double precision NOT NULL CHECK (quantity_t >= 0),
    threshold_t    double precision NOT NULL CHECK (threshold_t > 0),
    medium         text NOT NULL CHECK (medium IN ('air', 'water', 'both'))
);
CREATE INDEX risk_substance_source ON risk_substance (risk_source_id);

CREATE TABLE inspection (
    id             bigserial PRIMARY KEY,
    risk_source_id bigint NOT NULL REFERENCES risk_source (id) ON DELETE CASCADE,
    inspected_on   date NOT NULL,
    finding        text NOT NULL CHECK (finding <> ''),
    severity       text NOT NULL CHECK (severity IN ('一般隐患', '重大隐患')),
    rectified      boolean NOT NULL DEFAULT false,
    due_date       date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspection_source ON inspection (risk_source_id);

CREATE TABLE receptor (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('water_intake', 'water_source_zone', 'school',
                         'hospital', 'residential', 'nature_reserve', 'river_section', 'other')),
    name             text NOT NULL CHECK (name <> ''),
    district         text,
    population       integer CHECK (population >= 0),
    protection_level text,
    geom             geometry(Geometry, 4326) NOT NULL
                     CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom)),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE route (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('road', 'river')),
    name           text,
    road_class     text CHECK (road_class IN ('motorway', 'trunk', 'primary', 'secondary',
                       'tertiary', 'unclassified', 'residential', 'service')),
    speed_kmh      double precision CHECK (speed_kmh > 0 AND speed_kmh <= 200),
    oneway         boolean NOT NULL DEFAULT false,
    hazmat_allowed boolean NOT NULL DEFAULT true,
    -- Rivers: surface flow speed; the line is drawn in flow direction.
    flow_speed_ms  double precision CHECK (flow_speed_ms > 0 AND flow_speed_ms <= 10),
    geom           geometry(LineString, 4326) NOT NULL CHECK (ST_IsValid(geom) AND ST_NPoints(geom) >= 2),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'road' OR (speed_kmh IS NOT NULL AND flow_speed_ms IS NULL)),
    CHECK (kind <> 'river' OR (flow_speed_ms IS NOT NULL AND road_class IS NULL))
);

CREATE TABLE depot (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    tier       text NOT NULL CHECK (tier IN ('city', 'district', 'enterprise')),
    operator   text,
    contact    text,
    district   text,
    geom       geometry(Point, 4326) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stock_item (
    id           bigserial PRIMARY KEY,
    depot_id     bigint NOT NULL REFERENCES depot (id) ON DELETE CASCADE,
    category     text NOT NULL CHECK (category IN ('protection', 'monitoring', 'containment',
                     'collection', 'treatment', 'other')),
    item         text NOT NULL CHECK (item <> ''),
    unit         text NOT NULL CHECK (unit <> ''),
    quantity     double precision NOT NULL CHECK (quantity >= 0),
    reserved     double precision NOT NULL DEFAULT 0,
    expiry_date  date,
    storage_mode text NOT NULL DEFAULT '自储' CHECK (storage_mode IN ('自储', '代储', '协议储备')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (0 <= reserved AND reserved <= quantity),
    UNIQUE (depot_id, item, unit, expiry_date)
);
CREATE INDEX stock_item_depot ON stock_item (depot_id);
CREATE INDEX stock_item_item ON stock_item (item);

CREATE TABLE team (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    specialties text[] NOT NULL CHECK (cardinality(specialties) > 0
                    AND specialties <@ ARRAY['hazmat', 'water', 'air', 'monitoring', 'fire', 'medical', 'engineering']),
    headcount   integer NOT NULL CHECK (headcount > 0),
    equipment   text,
    status      text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'dispatched', 'off_duty')),
    contact     text,
    district    text,
    geom        geometry(Point, 4326) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE expert (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    specialties  text[] NOT NULL CHECK (cardinality(specialties) > 0
                     AND specialties <@ ARRAY['hazmat', 'water', 'air', 'monitoring', 'fire', 'medical', 'engineering']),
    organisation text,
    contact      text,
    district     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['district', 'risk_source', 'inspection', 'receptor', 'route',
                             'depot', 'stock_item', 'team', 'expert'] LOOP
        EXECUTE format('CREATE TRIGGER %I_touch BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION onemap_touch()', t, t);
        EXECUTE format('CREATE TRIGGER %I_notify AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION onemap_notify()', t, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['district', 'risk_source', 'receptor', 'route', 'depot', 'team'] LOOP
        EXECUTE format('CREATE INDEX %I_geom ON %I USING gist (geom)', t, t);
    END LOOP;
END $$;

CREATE INDEX risk_source_district ON risk_source (district);
CREATE INDEX receptor_kind ON receptor (kind);
CREATE INDEX route_kind ON route (kind);

-- A change of a risk source's substances is a change of the risk source.
CREATE FUNCTION onemap_notify_substance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source_id bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN source_id := OLD.risk_source_id; ELSE source_id := NEW.risk_source_id; END IF;
    PERFORM pg_notify('onemap_change', json_build_object(
        'layer', 'risk_source', 'id', source_id, 'op', 'update')::text);
    RETURN NULL;
END $$;
CREATE TRIGGER risk_substance_notify AFTER INSERT OR UPDATE OR DELETE ON risk_substance
    FOR EACH ROW EXECUTE FUNCTION onemap_notify_substance();
