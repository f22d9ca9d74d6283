-- Emergency plans (应急预案, issue 22): the plan a bureau or an enterprise keeps, its versions
-- (drafting → reviewed → signed → filed → in force → superseded, or withdrawn), the filings with
-- the county-level bureau under 环发〔2015〕4号 (submitted, then accepted with a filing number or
-- returned with what is missing), and the documents of a version (PDF only, checked by onemap).
-- Enterprises file their own: a user of role `enterprise` is bound to unified social credit
-- codes and acts for the risk sources that carry them.

ALTER TABLE app_user DROP CONSTRAINT app_user_role_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_role_check
    CHECK (role IN ('viewer', 'dispatcher', 'planner', 'admin', 'enterprise'));
ALTER TABLE app_user ADD COLUMN credit_codes text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(credit_codes) <= 20
           AND array_to_string(credit_codes, ',') ~ '^([0-9A-HJ-NPQRTUWXY]{18}(,[0-9A-HJ-NPQRTUWXY]{18})*)?$');
ALTER TABLE app_user ADD CONSTRAINT app_user_enterprise_codes
    CHECK ((role = 'enterprise') = (cardinality(credit_codes) > 0));
-- An enterprise speaks for its own sources, not for a district.
ALTER TABLE app_user ADD CONSTRAINT app_user_enterprise_no_district
    CHECK (role <> 'enterprise' OR district IS NULL);

CREATE TABLE plan (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('enterprise', 'government', 'department', 'water_source', 'park')),
    name          text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    -- 综合预案 / 专项预案 / 现场处置预案 of a plan set.
    level         text NOT NULL CHECK (level IN ('comprehensive', 'special', 'on_site')),
    parent_id     bigint REFERENCES plan (id) ON DELETE RESTRICT CHECK (parent_id <> id),
    -- The county-level bureau the plan is filed with (its 区县 code), and every district it covers.
    district      text NOT NULL CHECK (district ~ '^[0-9]{6}$'),
    districts     text[] NOT NULL CHECK (cardinality(districts) BETWEEN 1 AND 50),
    -- The risk level of an enterprise plan (the filing number's L/M/H).
    risk_level    text CHECK (risk_level IN ('一般', '较大', '重大')),
    -- The owner beside the district: a department, an intake (water-source plans), a park.
    department    text CHECK (department <> '' AND length(department) <= 200),
    receptor_id   bigint REFERENCES receptor (id) ON DELETE RESTRICT,
    park          text CHECK (park <> '' AND length(park) <= 200),
    -- The full text is confidential: a public summary (简本) must be filed with it.
    confidential  boolean NOT NULL DEFAULT false,
    author        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (district = ANY (districts)),
    CHECK (kind <> 'enterprise' OR risk_level IS NOT NULL),
    CHECK ((kind = 'department') = (department IS NOT NULL)),
    CHECK ((kind = 'water_source') = (receptor_id IS NOT NULL)),
    CHECK ((kind = 'park') = (park IS NOT NULL))
);
CREATE INDEX plan_district ON plan (district);
CREATE INDEX plan_parent ON plan (parent_id);

-- The risk sources an enterprise plan (or a park's) covers.
CREATE TABLE plan_source (
    id             bigserial PRIMARY KEY,
    plan_id        bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    risk_source_id bigint NOT NULL REFERENCES risk_source (id) ON DELETE RESTRICT,
    UNIQUE (plan_id, risk_source_id)
);
CREATE INDEX plan_source_source ON plan_source (risk_source_id);

CREATE TABLE plan_version (
    id               bigserial PRIMARY KEY,
    plan_id          bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    number           integer NOT NULL CHECK (number > 0),
    status           text NOT NULL DEFAULT 'drafting' CHECK (status IN
                         ('drafting', 'reviewed', 'signed', 'filed', 'in_force', 'superseded', 'withdrawn')),
    -- Why this version was written, when it revises another: the six triggers of article 12.
    revision_reasons text[] NOT NULL DEFAULT '{}' CHECK (revision_reasons <@
                         ARRAY['risk', 'command', 'measures', 'resources', 'drill', 'other']),
    -- A major revision is filed again; a minor one is notified.
    major            boolean NOT NULL DEFAULT true,
    summary          text CHECK (length(summary) <= 4000),
    -- The review (评审): when, by whom, what they said.
    reviewed_on      date,
    reviewers        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(reviewers) <= 50),
    review_opinions  text CHECK (length(review_opinions) <= 10000),
    signed_on        date,
    published_on     date,
    in_force_on      date,
    ended_on         date,
    author           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plan_id, number),
    CHECK (status IN ('drafting', 'withdrawn') OR (reviewed_on IS NOT NULL AND cardinality(reviewers) > 0)),
    CHECK (status IN ('drafting', 'reviewed', 'withdrawn') OR (signed_on IS NOT NULL AND published_on IS NOT NULL)),
    CHECK (signed_on IS NULL OR signed_on >= reviewed_on),
    CHECK (published_on IS NULL OR published_on >= signed_on),
    CHECK ((status IN ('in_force', 'superseded')) = (in_force_on IS NOT NULL) OR status = 'withdrawn')
);
-- One version of a plan is in force at a time.
CREATE UNIQUE INDEX plan_version_in_force ON plan_version (plan_id) WHERE status = 'in_force';

CREATE TABLE plan_filing (
    id             bigserial PRIMARY KEY,
    plan_id        bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    version_id     bigint NOT NULL REFERENCES plan_version (id) ON DELETE CASCADE,
    -- initial: the first filing; change: after a major revision; notice: a minor change notified.
    kind           text NOT NULL CHECK (kind IN ('initial', 'change', 'notice')),
    status         text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'accepted', 'returned')),
    submitted_on   date NOT NULL,
    submitted_by   text NOT NULL,
    decided_on     date,
    decided_by     text,
    filing_number  text UNIQUE CHECK (filing_number ~ '^[0-9]{6}-[0-9]{4}-[0-9]{3}-[LMH]T?$'),
    missing        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(missing) <= 50),
    remarks        text CHECK (length(remarks) <= 4000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'submitted') = (decided_on IS NULL)),
    CHECK (decided_on IS NULL OR decided_on >= submitted_on),
    CHECK (status <> 'returned' OR cardinality(missing) > 0),
    CHECK (filing_number IS NULL OR (status = 'accepted' AND kind <> 'notice'))
);
CREATE INDEX plan_filing_plan ON plan_filing (plan_id);
-- A version waits on one filing at a time.
CREATE UNIQUE INDEX plan_filing_waiting ON plan_filing (version_id) WHERE status = 'submitted';

CREATE TABLE plan_document (
    id           bigserial PRIMARY KEY,
    version_id   bigint NOT NULL REFERENCES plan_version (id) ON DELETE CASCADE,
    -- The five documents of a filing (the plan with its 编制说明 counting as two files), the
    -- public summary, and anything else.
    kind         text NOT NULL CHECK (kind IN ('filing_form', 'plan', 'explanation', 'risk_assessment',
                     'resource_survey', 'review_opinions', 'summary', 'other')),
    public       boolean NOT NULL DEFAULT false,
    file_name    text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 200),
    content_type text NOT NULL CHECK (content_type = 'application/pdf'),
    size_bytes   integer NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    pages        integer NOT NULL CHECK (pages > 0),
    author       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (public = (kind = 'summary'))
);
CREATE INDEX plan_document_version ON plan_document (version_id);

CREATE TABLE plan_document_bytes (
    document_id bigint PRIMARY KEY REFERENCES plan_document (id) ON DELETE CASCADE,
    bytes       bytea NOT NULL
);

-- The flags a plan's clock raised, each told once to the feed (as `deadline_notice` does for
-- incident reports).
CREATE TABLE plan_notice (
    plan_id  bigint NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
    what     text NOT NULL,
    due_on   date NOT NULL,
    noted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, what, due_on)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plan', 'plan_version', 'plan_filing'] LOOP
        EXECUTE format('CREATE TRIGGER %I_touch BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION onemap_touch()', t, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['plan', 'plan_source', 'plan_version', 'plan_filing', 'plan_document'] LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;

-- Jurisdiction and the audit view: a plan belongs to the district it is filed with; its
-- sources, versions, filings and documents where the plan does.
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
    WHEN 'plan_source', 'plan_version', 'plan_filing' THEN
        RETURN EXISTS (SELECT 1 FROM plan p WHERE p.id = (r->>'plan_id')::bigint AND p.district = d.code);
    WHEN 'plan_document' THEN
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
