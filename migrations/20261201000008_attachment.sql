-- Photos attached to a record (issue 14): an incident, one of its reports, or a hazard
-- inspection. Kept in PostgreSQL beside the record, so one backup holds both. The description
-- is audited; the bytes sit in their own table, outside the audit trail (which would copy them).

CREATE TABLE attachment (
    id           bigserial PRIMARY KEY,
    record_table text NOT NULL CHECK (record_table IN ('incident', 'incident_report', 'inspection')),
    record_id    bigint NOT NULL,
    -- The incident the photo belongs to (itself or its report's), for the timeline.
    incident_id  bigint REFERENCES incident (id) ON DELETE CASCADE,
    file_name    text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 200),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size_bytes   integer NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    -- Whether the camera's metadata (EXIF with its GPS position) was stripped or kept.
    metadata     text NOT NULL CHECK (metadata IN ('stripped', 'kept')),
    caption      text CHECK (length(caption) <= 500),
    -- Where it was taken, as the phone said (optional).
    geom         geometry(Point, 4326),
    author       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachment_record ON attachment (record_table, record_id);
CREATE INDEX attachment_incident ON attachment (incident_id);

CREATE TABLE attachment_bytes (
    attachment_id bigint PRIMARY KEY REFERENCES attachment (id) ON DELETE CASCADE,
    bytes         bytea NOT NULL
);

-- The record must exist, for plain SQL as for the API (there is no foreign key to one of three
-- tables); a record's photos go with it.
CREATE FUNCTION attachment_record_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', NEW.record_table) INTO found USING NEW.record_id;
    IF NOT found THEN
        RAISE EXCEPTION 'no % with id %', NEW.record_table, NEW.record_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attachment_record_exists BEFORE INSERT OR UPDATE OF record_table, record_id ON attachment
    FOR EACH ROW EXECUTE FUNCTION attachment_record_exists();

CREATE FUNCTION attachment_record_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM attachment a USING old_rows o WHERE a.record_table = TG_TABLE_NAME AND a.record_id = o.id;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['incident', 'incident_report', 'inspection'] LOOP
        EXECUTE format('CREATE TRIGGER %I_attachments_deleted AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION attachment_record_deleted()', t, t);
    END LOOP;
    t := 'attachment';
    EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                   'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
END $$;

-- A photo is news for the desk and the wall: one event per statement.
CREATE FUNCTION onemap_attachment_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM onemap_event('attachment', jsonb_build_object('id', n.id, 'record_table', n.record_table,
            'record_id', n.record_id, 'incident_id', n.incident_id, 'file_name', n.file_name))
       FROM new_rows n;
    RETURN NULL;
END $$;
CREATE TRIGGER attachment_event AFTER INSERT ON attachment REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_attachment_event();

-- Requests a client marked with an `Idempotency-Key` (a field phone resending its queued report
-- after the network came back): the first answer is kept for a day and given again to a repeat,
-- so a report is filed once however often it is sent.
CREATE TABLE idempotent_request (
    actor       text NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    status      smallint,
    headers     jsonb,
    body        bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotent_request_at ON idempotent_request (created_at);
