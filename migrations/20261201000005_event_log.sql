-- The live feed's durable log (issue 12): every change a viewer or the duty desk hears of is an
-- event, numbered in commit order, written by the database in the transaction that made it —
-- so a write through any onemap process or by plain SQL is in the feed, and a rolled-back one
-- is not. A client that reconnects with the last id it saw gets exactly what it missed.

CREATE SEQUENCE event_log_id;
CREATE TABLE event_log (
    id    bigint PRIMARY KEY,
    at    timestamptz NOT NULL DEFAULT now(),
    kind  text NOT NULL,
    data  jsonb NOT NULL,
    actor text
);
CREATE INDEX event_log_at ON event_log (at);

-- Events wait here until their transaction commits. Ids are given at commit, under a lock held
-- to the end of the commit: a transaction that commits later gets higher ids, so a reader that
-- has seen id n will never see a smaller id appear afterwards.
CREATE UNLOGGED TABLE event_outbox (
    seq   bigserial PRIMARY KEY,
    kind  text NOT NULL,
    data  jsonb NOT NULL,
    actor text
);

CREATE FUNCTION onemap_event(kind text, data jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO event_outbox (kind, data, actor)
    VALUES (kind, data, coalesce(nullif(current_setting('onemap.actor', true), ''), session_user));
$$;

CREATE FUNCTION onemap_publish() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e record;
    last bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM event_outbox) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7305514621);
    FOR e IN SELECT * FROM event_outbox ORDER BY seq LOOP
        last := nextval('event_log_id');
        INSERT INTO event_log (id, kind, data, actor) VALUES (last, e.kind, e.data, e.actor);
    END LOOP;
    DELETE FROM event_outbox;
    -- After the row notifications of this transaction: a process applies those first, then
    -- announces the events up to `last`.
    PERFORM pg_notify('onemap_change', json_build_object('event', last)::text);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER event_outbox_publish AFTER INSERT ON event_outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION onemap_publish();

-- Ids of changed rows in an event; a bulk change names none (too many to list: reload).
CREATE FUNCTION onemap_event_ids(ids bigint[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN cardinality(ids) <= 1000 THEN to_jsonb(ids) ELSE 'null'::jsonb END
$$;

-- A map layer changed: one event per statement.
CREATE FUNCTION onemap_change_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(id ORDER BY id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(id ORDER BY id) INTO ids FROM new_rows;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM onemap_event('change', jsonb_build_object('layer', TG_TABLE_NAME, 'op', lower(TG_OP),
            'ids', onemap_event_ids(ids), 'count', cardinality(ids)));
    END IF;
    RETURN NULL;
END $$;

-- A risk source's substances are part of the risk source.
CREATE FUNCTION onemap_substance_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT risk_source_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT risk_source_id) INTO ids FROM new_rows;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM onemap_event('change', jsonb_build_object('layer', 'risk_source', 'op', 'update',
            'ids', onemap_event_ids(ids), 'count', cardinality(ids)));
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['district', 'route', 'risk_source', 'receptor', 'depot', 'team', 'incident'] LOOP
        EXECUTE format('CREATE TRIGGER %I_event_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_change_event()', t, t);
        EXECUTE format('CREATE TRIGGER %I_event_update AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_change_event()', t, t);
        EXECUTE format('CREATE TRIGGER %I_event_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_change_event()', t, t);
    END LOOP;
END $$;
CREATE TRIGGER risk_substance_event_insert AFTER INSERT ON risk_substance REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_substance_event();
CREATE TRIGGER risk_substance_event_update AFTER UPDATE ON risk_substance REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_substance_event();
CREATE TRIGGER risk_substance_event_delete AFTER DELETE ON risk_substance REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_substance_event();

-- The duty desk's events: an incident created or changed (with what changed), a report
-- submitted, a dispatch sent or moved on.
CREATE FUNCTION onemap_incident_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR r IN SELECT * FROM new_rows ORDER BY id LOOP
            PERFORM onemap_event('incident', jsonb_build_object('op', 'created', 'id', r.id, 'name', r.name,
                'kind', r.kind, 'severity', r.severity, 'status', r.status, 'district', r.district,
                'initial_report_due_at', r.initial_report_due_at));
        END LOOP;
    ELSE
        FOR r IN
            SELECT n.id, n.name, n.severity, n.status, n.district,
                   (SELECT array_agg(k ORDER BY k) FROM jsonb_each(to_jsonb(n)) AS x(k, v)
                     WHERE k NOT IN ('updated_at') AND v IS DISTINCT FROM to_jsonb(o) -> k) AS changed,
                   o.severity AS was_severity, o.status AS was_status
              FROM new_rows n JOIN old_rows o ON o.id = n.id ORDER BY n.id
        LOOP
            CONTINUE WHEN r.changed IS NULL;
            PERFORM onemap_event('incident', jsonb_build_object('op',
                CASE WHEN r.status = 'closed' AND r.was_status <> 'closed' THEN 'closed' ELSE 'updated' END,
                'id', r.id, 'name', r.name, 'severity', r.severity, 'status', r.status, 'district', r.district,
                'changed', to_jsonb(r.changed),
                'severity_from', CASE WHEN r.severity <> r.was_severity THEN r.was_severity END));
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incident_duty_event_insert AFTER INSERT ON incident REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_incident_event();
CREATE TRIGGER incident_duty_event_update AFTER UPDATE ON incident REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_incident_event();

CREATE FUNCTION onemap_report_event_of(r incident_report) RETURNS void LANGUAGE sql AS $$
    SELECT onemap_event('report', jsonb_build_object('incident_id', r.incident_id, 'report_id', r.id,
        'stage', r.stage, 'number', r.number, 'author', r.author, 'submitted_at', r.submitted_at));
$$;
CREATE FUNCTION onemap_report_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r incident_report;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR r IN SELECT n.* FROM new_rows n WHERE n.submitted_at IS NOT NULL ORDER BY n.id LOOP
            PERFORM onemap_report_event_of(r);
        END LOOP;
    ELSE
        FOR r IN SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id
                  WHERE n.submitted_at IS NOT NULL AND o.submitted_at IS NULL ORDER BY n.id LOOP
            PERFORM onemap_report_event_of(r);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incident_report_event_insert AFTER INSERT ON incident_report REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_report_event();
CREATE TRIGGER incident_report_event_update AFTER UPDATE ON incident_report REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_report_event();

CREATE FUNCTION onemap_dispatch_event_of(id bigint, incident_id bigint, status text, was text,
                                         depot_id bigint, team_id bigint, eta timestamptz) RETURNS void
LANGUAGE sql AS $$
    SELECT onemap_event('dispatch', jsonb_strip_nulls(jsonb_build_object('id', id, 'incident_id', incident_id,
        'status', status, 'from', was, 'depot_id', depot_id, 'team_id', team_id, 'eta', eta)));
$$;
CREATE FUNCTION onemap_dispatch_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR r IN SELECT n.*, NULL::text AS was FROM new_rows n ORDER BY n.id LOOP
            PERFORM onemap_dispatch_event_of(r.id, r.incident_id, r.status, r.was, r.depot_id, r.team_id, r.eta);
        END LOOP;
    ELSE
        FOR r IN SELECT n.*, o.status AS was FROM new_rows n JOIN old_rows o ON o.id = n.id
                  WHERE n.status <> o.status ORDER BY n.id LOOP
            PERFORM onemap_dispatch_event_of(r.id, r.incident_id, r.status, r.was, r.depot_id, r.team_id, r.eta);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER dispatch_event_insert AFTER INSERT ON dispatch REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_dispatch_event();
CREATE TRIGGER dispatch_event_update AFTER UPDATE ON dispatch REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_dispatch_event();

-- Which deadlines the desk has been told of, so several onemap processes tell it once.
CREATE TABLE deadline_notice (
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    what        text NOT NULL CHECK (what IN ('initial_due_soon', 'initial_overdue', 'final_due_soon', 'final_overdue')),
    due_at      timestamptz NOT NULL,
    noticed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, what, due_at)
);
