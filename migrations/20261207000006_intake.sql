-- The duty desk's front (issue 23, part 1): calls and tips as received (接警), screened into
-- incidents or dismissed; who is on duty, by shift, and the shift log with its handovers; the
-- events marked sensitive (敏感事件) and their phone and written reports on the short clock.

-- A call or tip as received. The clock starts at `received_at`; an incident made of it (or
-- gathering it) is discovered then.
CREATE TABLE intake (
    id               bigserial PRIMARY KEY,
    channel          text NOT NULL CHECK (channel IN ('hotline_12369', 'hotline_12345', 'enterprise', 'park_alarm',
                         'monitoring_alarm', 'emergency_services', 'media', 'other')),
    received_at      timestamptz NOT NULL,
    caller           text CHECK (length(caller) <= 200),
    caller_contact   text CHECK (length(caller_contact) <= 200),
    place            text CHECK (length(place) <= 500),
    -- Where: given as a point, or the place the words name (`matched`).
    geom             geometry(Point, 4326),
    matched          text,
    district         text,
    what             text NOT NULL CHECK (what <> '' AND length(what) <= 4000),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'incident')),
    dismissed_reason text CHECK (length(dismissed_reason) <= 2000),
    incident_id      bigint REFERENCES incident (id) ON DELETE SET NULL,
    taken_by         text NOT NULL,
    screened_by      text,
    screened_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'dismissed') = (dismissed_reason IS NOT NULL))
);
CREATE INDEX intake_open ON intake (received_at) WHERE status = 'open';
CREATE INDEX intake_incident ON intake (incident_id);

-- Who is on duty: shifts of the city's duty office (district NULL) or a district's.
CREATE TABLE duty_shift (
    id         bigserial PRIMARY KEY,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    person     text NOT NULL CHECK (person <> '' AND length(person) <= 100),
    post       text NOT NULL CHECK (post IN ('leader', 'officer')),
    phone      text CHECK (length(phone) <= 100),
    district   text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '48 hours')
);
CREATE INDEX duty_shift_time ON duty_shift (starts_at, ends_at);

-- The shift log: notes, and the handover with the items left open.
CREATE TABLE duty_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    kind       text NOT NULL CHECK (kind IN ('note', 'handover')),
    text       text NOT NULL CHECK (text <> '' AND length(text) <= 4000),
    open_items text[] NOT NULL DEFAULT '{}' CHECK (cardinality(open_items) <= 50),
    author     text NOT NULL,
    district   text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duty_log_at ON duty_log (at);

-- 敏感事件, and the short clock (巴南: 30分钟电话报、1小时书面报) for them and the severities the
-- rule names: a phone report due `phone_minutes` after discovery, the written (initial) report
-- at most `written_minutes` after. onemap writes the configured rule at start (none: no rule).
ALTER TABLE incident
    ADD COLUMN sensitive boolean NOT NULL DEFAULT false,
    ADD COLUMN phone_report_due_at timestamptz,
    ADD COLUMN phone_reported_at timestamptz;
CREATE TABLE urgent_report_rule (
    id              integer PRIMARY KEY CHECK (id = 1),
    sensitive       boolean NOT NULL,
    severities      text[] NOT NULL CHECK (severities <@ ARRAY['一般', '较大', '重大', '特别重大']),
    phone_minutes   integer NOT NULL CHECK (phone_minutes > 0),
    written_minutes integer NOT NULL CHECK (written_minutes > 0),
    warn_minutes    integer NOT NULL CHECK (warn_minutes >= 0)
);

-- Runs after `incident_time` (triggers fire in name order): the short clock, where it applies.
CREATE FUNCTION incident_urgent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rule urgent_report_rule;
BEGIN
    SELECT * INTO rule FROM urgent_report_rule WHERE id = 1;
    IF FOUND AND ((rule.sensitive AND NEW.sensitive) OR NEW.severity = ANY (rule.severities)) THEN
        NEW.phone_report_due_at := NEW.discovered_at + make_interval(mins => rule.phone_minutes);
        NEW.initial_report_due_at := least(NEW.initial_report_due_at,
                                           NEW.discovered_at + make_interval(mins => rule.written_minutes));
    ELSE
        NEW.phone_report_due_at := NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.phone_reported_at := coalesce(NEW.phone_reported_at, OLD.phone_reported_at);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_urgent BEFORE INSERT OR UPDATE ON incident FOR EACH ROW EXECUTE FUNCTION incident_urgent();

-- A phone report: who was called, when, what was said. The first one stops the phone clock.
CREATE TABLE phone_report (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    called      text NOT NULL CHECK (called <> '' AND length(called) <= 200),
    called_at   timestamptz NOT NULL,
    said        text NOT NULL CHECK (said <> '' AND length(said) <= 4000),
    author      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_report_incident ON phone_report (incident_id);

-- The deadline flags, with the phone report's.
CREATE OR REPLACE FUNCTION incident_deadline_flags(t incident) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'initial_report_overdue', t.initial_reported_at IS NULL AND t.initial_report_due_at < now(),
        'initial_report_due_soon', t.initial_reported_at IS NULL AND t.initial_report_due_at >= now()
            AND t.initial_report_due_at - make_interval(mins => coalesce((SELECT d.warn_minutes FROM report_deadline d
                WHERE d.stage = 'initial' AND d.severity = t.severity), 0)) < now(),
        'final_report_overdue', t.final_reported_at IS NULL AND t.final_report_due_at < now(),
        'phone_report_overdue', t.phone_reported_at IS NULL AND t.phone_report_due_at < now(),
        'phone_report_due_soon', t.phone_reported_at IS NULL AND t.phone_report_due_at >= now()
            AND t.phone_report_due_at - make_interval(mins => coalesce((SELECT r.warn_minutes FROM urgent_report_rule r), 0)) < now())
$$;

ALTER TABLE deadline_notice DROP CONSTRAINT deadline_notice_what_check;
ALTER TABLE deadline_notice ADD CONSTRAINT deadline_notice_what_check CHECK (what IN ('initial_due_soon',
    'initial_overdue', 'final_due_soon', 'final_overdue', 'phone_due_soon', 'phone_overdue'));

CREATE TRIGGER intake_touch BEFORE UPDATE ON intake FOR EACH ROW EXECUTE FUNCTION onemap_touch();
CREATE TRIGGER duty_shift_touch BEFORE UPDATE ON duty_shift FOR EACH ROW EXECUTE FUNCTION onemap_touch();
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['intake', 'duty_shift', 'duty_log', 'phone_report'] LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;

-- Jurisdiction: a phone report is where its incident is; intakes, shifts and log entries by
-- their district (or place).
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

