-- The duty desk (issue 12): an incident's discovery, its cause by category, its reports in three
-- stages (初报/续报/终报, 《突发环境事件信息报告办法》) and their deadlines.

-- The cause is a category (the statistics count by it); the free text stays as `cause_detail`.
ALTER TABLE incident RENAME COLUMN cause TO cause_detail;
ALTER TABLE incident
    ADD COLUMN cause text CHECK (cause IN ('safety_accident', 'traffic_accident', 'illegal_discharge',
                                           'natural_disaster', 'other')),
    ADD COLUMN discovered_at timestamptz,
    -- Given for a past incident, else stamped on closing.
    ADD COLUMN closed_at timestamptz,
    -- Written by the database (below and by the reports), never by a client.
    ADD COLUMN initial_report_due_at timestamptz,
    ADD COLUMN initial_reported_at timestamptz,
    ADD COLUMN final_report_due_at timestamptz,
    ADD COLUMN final_reported_at timestamptz;
UPDATE incident SET discovered_at = occurred_at, closed_at = CASE WHEN status = 'closed' THEN updated_at END;
ALTER TABLE incident ALTER COLUMN discovered_at SET NOT NULL;

-- How long after discovery the initial report is due, and after closing the final one, by
-- severity; `warn_minutes` before the deadline the desk is told it is due soon. The rule's
-- figures (4 h for 一般 and 较大, 2 h for 重大 and 特别重大; the final report "promptly" after
-- the incident is dealt with) are the defaults; onemap writes its configured ones at start.
CREATE TABLE report_deadline (
    stage        text NOT NULL CHECK (stage IN ('initial', 'final')),
    severity     text NOT NULL CHECK (severity IN ('一般', '较大', '重大', '特别重大')),
    minutes      integer NOT NULL CHECK (minutes > 0),
    warn_minutes integer NOT NULL CHECK (warn_minutes >= 0),
    PRIMARY KEY (stage, severity)
);
INSERT INTO report_deadline VALUES
    ('initial', '一般', 240, 30), ('initial', '较大', 240, 30), ('initial', '重大', 120, 30), ('initial', '特别重大', 120, 30),
    ('final', '一般', 1440, 120), ('final', '较大', 1440, 120), ('final', '重大', 1440, 120), ('final', '特别重大', 1440, 120);

-- Times, closing and deadlines of an incident, whoever writes it: a missing occurrence time is
-- now (or the time it had), a missing discovery time is now; neither lies in the future, and
-- nothing is discovered before it happened. Closing stamps `closed_at`; an incident whose final
-- report is in stays closed.
DROP TRIGGER incident_time ON incident;
DROP FUNCTION incident_time();
CREATE FUNCTION incident_time() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    skew constant interval := interval '5 minutes';
BEGIN
    IF NEW.occurred_at IS NULL THEN
        IF TG_OP = 'UPDATE' THEN NEW.occurred_at := OLD.occurred_at; ELSE NEW.occurred_at := now(); END IF;
    END IF;
    IF NEW.discovered_at IS NULL THEN
        IF TG_OP = 'UPDATE' THEN NEW.discovered_at := OLD.discovered_at; ELSE NEW.discovered_at := greatest(now(), NEW.occurred_at); END IF;
    END IF;
    IF (TG_OP = 'INSERT' OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at) AND NEW.occurred_at > now() + skew THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'occurred_at',
            MESSAGE = format('occurred_at %s is in the future', NEW.occurred_at);
    END IF;
    IF (TG_OP = 'INSERT' OR NEW.discovered_at IS DISTINCT FROM OLD.discovered_at) AND NEW.discovered_at > now() + skew THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'discovered_at',
            MESSAGE = format('discovered_at %s is in the future', NEW.discovered_at);
    END IF;
    IF NEW.discovered_at < NEW.occurred_at THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'discovered_at',
            MESSAGE = format('discovered_at %s is before occurred_at %s', NEW.discovered_at, NEW.occurred_at);
    END IF;
    IF NEW.closed_at IS NOT NULL AND (NEW.closed_at < NEW.occurred_at OR NEW.closed_at > now() + skew) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'closed_at',
            MESSAGE = format('closed_at %s is before the occurrence or in the future', NEW.closed_at);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.initial_reported_at := coalesce(NEW.initial_reported_at, OLD.initial_reported_at);
        NEW.final_reported_at := coalesce(NEW.final_reported_at, OLD.final_reported_at);
        IF OLD.final_reported_at IS NOT NULL AND NEW.status <> 'closed' THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'status',
                MESSAGE = 'the final report is in: the incident stays closed';
        END IF;
    END IF;
    IF NEW.status = 'closed' THEN
        NEW.closed_at := coalesce(NEW.closed_at, CASE WHEN TG_OP = 'UPDATE' THEN OLD.closed_at END, now());
    ELSE
        NEW.closed_at := NULL;
    END IF;
    NEW.initial_report_due_at := NEW.discovered_at + make_interval(mins => (
        SELECT d.minutes FROM report_deadline d WHERE d.stage = 'initial' AND d.severity = NEW.severity));
    NEW.final_report_due_at := NEW.closed_at + make_interval(mins => (
        SELECT d.minutes FROM report_deadline d WHERE d.stage = 'final' AND d.severity = NEW.severity));
    -- An unknown district is refused here, whoever writes (names and codes both count).
    IF NEW.district IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.district IS DISTINCT FROM OLD.district) AND NOT EXISTS (
        SELECT 1 FROM district x WHERE NEW.district IN (x.name, x.code)) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'district',
            MESSAGE = format('no district is called %s', NEW.district);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_time BEFORE INSERT OR UPDATE ON incident FOR EACH ROW EXECUTE FUNCTION incident_time();
UPDATE incident SET updated_at = updated_at;

-- The deadline flags of an incident at this moment (they change with the clock, so they are
-- computed when read, not stored).
CREATE FUNCTION incident_deadline_flags(t incident) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'initial_report_overdue', t.initial_reported_at IS NULL AND t.initial_report_due_at < now(),
        'initial_report_due_soon', t.initial_reported_at IS NULL AND t.initial_report_due_at >= now()
            AND t.initial_report_due_at - make_interval(mins => coalesce((SELECT d.warn_minutes FROM report_deadline d
                WHERE d.stage = 'initial' AND d.severity = t.severity), 0)) < now(),
        'final_report_overdue', t.final_reported_at IS NULL AND t.final_report_due_at < now())
$$;

-- An incident's reports. A draft belongs to its author until submitted; a submitted report is
-- never changed or removed (a correction is a new follow-up). `number` counts follow-ups in the
-- order they were submitted (1 for the initial and the final report).
CREATE TABLE incident_report (
    id           bigserial PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incident (id) ON DELETE RESTRICT,
    stage        text NOT NULL CHECK (stage IN ('initial', 'follow_up', 'final')),
    number       integer CHECK (number > 0),
    content      jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
    author_id    bigint REFERENCES app_user (id) ON DELETE SET NULL,
    author       text NOT NULL,
    submitted_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((submitted_at IS NULL) = (number IS NULL)),
    UNIQUE (incident_id, stage, number)
);
CREATE INDEX incident_report_incident ON incident_report (incident_id);
CREATE UNIQUE INDEX incident_report_one_initial ON incident_report (incident_id) WHERE stage = 'initial';
CREATE UNIQUE INDEX incident_report_one_final ON incident_report (incident_id) WHERE stage = 'final';
CREATE TRIGGER incident_report_touch BEFORE UPDATE ON incident_report FOR EACH ROW EXECUTE FUNCTION onemap_touch();

CREATE FUNCTION incident_report_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.submitted_at IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'submitted_at',
            MESSAGE = format('report %s was submitted and is never changed; a correction is a new follow-up', OLD.id);
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_report_frozen BEFORE UPDATE OR DELETE ON incident_report
    FOR EACH ROW EXECUTE FUNCTION incident_report_frozen();

DO $$
DECLARE
    t text := 'incident_report';
BEGIN
    EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                   'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
END $$;

-- A report belongs where its incident does.
CREATE OR REPLACE FUNCTION onemap_in_district(tbl text, r jsonb, code text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d record;
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
    WHEN 'app_user', 'api_token' THEN
        RETURN false;
    ELSE
        RETURN coalesce(r->>'district' IN (d.name, d.code), false)
            OR (jsonb_typeof(r->'geom') = 'object'
                AND ST_CoveredBy(ST_SetSRID(ST_GeomFromGeoJSON(r->'geom'), 4326), d.geom));
    END CASE;
END $$;
