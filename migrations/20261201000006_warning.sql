-- Warnings (预警信息, issue 13): who must be warned of a spill or a gas cloud, published as CAP.
-- A warning is a draft until issued; an update is a new version that refers to the one before
-- (which is then `updated`); a cancellation ends it. Expiry is read from `expires`.

CREATE TABLE warning (
    id           bigserial PRIMARY KEY,
    -- The CAP identifier of this version; `first_id` joins the versions of one warning.
    identifier   text NOT NULL UNIQUE,
    first_id     bigint REFERENCES warning (id),
    previous_id  bigint UNIQUE REFERENCES warning (id),
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    incident_id  bigint REFERENCES incident (id) ON DELETE RESTRICT,
    kind         text NOT NULL CHECK (kind IN ('water', 'air')),
    level        text NOT NULL CHECK (level IN ('蓝', '黄', '橙', '红')),
    headline     text NOT NULL CHECK (headline <> '' AND length(headline) <= 160),
    description  text,
    instruction  text,
    area_desc    text NOT NULL CHECK (area_desc <> ''),
    onset        timestamptz NOT NULL,
    expires      timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued', 'updated', 'cancelled')),
    geom         geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    author       text NOT NULL,
    author_id    bigint REFERENCES app_user (id) ON DELETE SET NULL,
    issued_at    timestamptz,
    issued_by    text,
    ended_at     timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (expires > onset),
    CHECK ((status = 'draft') = (issued_at IS NULL))
);
CREATE INDEX warning_geom ON warning USING gist (geom);
CREATE INDEX warning_incident ON warning (incident_id);
CREATE TRIGGER warning_touch BEFORE UPDATE ON warning FOR EACH ROW EXECUTE FUNCTION onemap_touch();

-- Who is to be told: the contacts of the receptors in the area and the duty units of its
-- districts; the duty officer ticks each off when told.
CREATE TABLE warning_recipient (
    id           bigserial PRIMARY KEY,
    warning_id   bigint NOT NULL REFERENCES warning (id) ON DELETE CASCADE,
    receptor_id  bigint REFERENCES receptor (id) ON DELETE SET NULL,
    district     text,
    name         text NOT NULL,
    contact      text,
    notified_at  timestamptz,
    notified_by  text
);
CREATE INDEX warning_recipient_warning ON warning_recipient (warning_id);

-- Issued warnings do not change but by their lifecycle: updated, cancelled.
CREATE FUNCTION warning_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' AND (
        (to_jsonb(NEW) - 'status' - 'ended_at' - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'ended_at' - 'updated_at')
        OR NOT (OLD.status = 'issued' AND NEW.status IN ('issued', 'updated', 'cancelled'))) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', COLUMN = 'status',
            MESSAGE = format('warning %s is %s: it is changed only by an update or a cancellation', OLD.id, OLD.status);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER warning_frozen BEFORE UPDATE ON warning FOR EACH ROW EXECUTE FUNCTION warning_frozen();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['warning', 'warning_recipient'] LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;

-- The feed: a warning issued, updated or cancelled.
CREATE FUNCTION onemap_warning_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r warning;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR r IN SELECT * FROM new_rows WHERE status = 'issued' ORDER BY id LOOP
            PERFORM onemap_warning_event_of(r, CASE WHEN r.previous_id IS NULL THEN 'issued' ELSE 'updated' END);
        END LOOP;
    ELSE
        FOR r IN SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status <> o.status
                   AND n.status IN ('issued', 'cancelled') ORDER BY n.id LOOP
            PERFORM onemap_warning_event_of(r, r.status);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION onemap_warning_event_of(r warning, op text) RETURNS void LANGUAGE sql AS $$
    SELECT onemap_event('warning', jsonb_build_object('op', op, 'id', r.id, 'identifier', r.identifier,
        'version', r.version, 'incident_id', r.incident_id, 'kind', r.kind, 'level', r.level,
        'headline', r.headline, 'expires', r.expires));
$$;
CREATE TRIGGER warning_event_insert AFTER INSERT ON warning REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_warning_event();
CREATE TRIGGER warning_event_update AFTER UPDATE ON warning REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_warning_event();
