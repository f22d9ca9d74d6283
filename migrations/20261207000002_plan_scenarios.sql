-- Plans that onemap understands (issue 22): a version's scenarios (一源一事一案: the source, the
-- substance, the release, the medium; the measures in order, the resources counted on), what the
-- version was written against (its sources' grades and substances when signed), the findings
-- of drills and real responses that call for a revision, and river plans (一河一策一图): the
-- emergency space and the actions of an interception site, and the sites a plan links.

CREATE TABLE plan_scenario (
    id              bigserial PRIMARY KEY,
    version_id      bigint NOT NULL REFERENCES plan_version (id) ON DELETE CASCADE,
    number          integer NOT NULL CHECK (number > 0),
    title           text NOT NULL CHECK (title <> '' AND length(title) <= 200),
    risk_source_id  bigint NOT NULL REFERENCES risk_source (id) ON DELETE RESTRICT,
    -- A unit within the source (罐区, 装卸站 …).
    unit            text CHECK (unit <> '' AND length(unit) <= 200),
    substance       text NOT NULL CHECK (substance <> '' AND length(substance) <= 200),
    medium          text NOT NULL CHECK (medium IN ('air', 'water', 'soil')),
    -- The release: a rate, or an amount over its minutes.
    rate_kg_s       double precision CHECK (rate_kg_s > 0 AND rate_kg_s <= 10000),
    amount_t        double precision CHECK (amount_t > 0 AND amount_t <= 1000000),
    minutes         double precision NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    -- Air: the stated weather (wind_ms, wind_from_deg, stability); the worst case is computed too.
    weather         jsonb,
    -- Water: how many hours of flow the plan looks ahead.
    hours           double precision CHECK (hours > 0 AND hours <= 168),
    measures        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(measures) = 'array'),
    resources       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(resources) = 'array'),
    author          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (version_id, number),
    CHECK ((rate_kg_s IS NULL) <> (amount_t IS NULL))
);
CREATE INDEX plan_scenario_source ON plan_scenario (risk_source_id);

-- What a version was written against, recorded when it is signed: its sources' grades and
-- substances. A later change is a revision trigger of kind "risk".
ALTER TABLE plan_version ADD COLUMN basis jsonb;

-- Findings of a drill or a real response that call for a revision (kind "drill").
CREATE TABLE plan_finding (
    id          bigserial PRIMARY KEY,
    plan_id     bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('drill', 'response')),
    found_on    date NOT NULL,
    finding     text NOT NULL CHECK (finding <> '' AND length(finding) <= 4000),
    incident_id bigint REFERENCES incident (id) ON DELETE SET NULL,
    author      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_finding_plan ON plan_finding (plan_id);

-- River plans: an interception site's emergency space and what can be done there.
ALTER TABLE intercept_site ADD COLUMN volume_m3 double precision CHECK (volume_m3 >= 0 AND volume_m3 <= 1e9);
ALTER TABLE intercept_site ADD COLUMN actions text[]
    CHECK (cardinality(actions) > 0 AND actions <@ ARRAY['cut_off', 'divert', 'dose', 'dilute']);

-- The interception sites of a reach that a water-source or river plan names.
CREATE TABLE plan_site (
    id       bigserial PRIMARY KEY,
    plan_id  bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    site_id  bigint NOT NULL REFERENCES intercept_site (id) ON DELETE RESTRICT,
    UNIQUE (plan_id, site_id)
);
CREATE INDEX plan_site_site ON plan_site (site_id);

CREATE TRIGGER plan_scenario_touch BEFORE UPDATE ON plan_scenario FOR EACH ROW EXECUTE FUNCTION onemap_touch();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plan_scenario', 'plan_finding', 'plan_site'] LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;

-- Jurisdiction and the audit view: scenarios, findings and sites are where their plan is.
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
    WHEN 'dispatch', 'incident_report' THEN
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
