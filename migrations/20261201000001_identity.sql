-- Who may do what, and who changed what: accounts, their credentials (stored only as hashes),
-- and an audit trail written by the database itself, so that a change through onemap, an
-- import and a psql session are all recorded, and a rolled-back write leaves nothing.

CREATE TABLE app_user (
    id                  bigserial PRIMARY KEY,
    name                text NOT NULL UNIQUE CHECK (name ~ '^[^[:space:]]{1,64}$'),
    role                text NOT NULL CHECK (role IN ('viewer', 'dispatcher', 'planner', 'admin')),
    -- A 区县 code: the user acts for that district only; NULL: for the whole city.
    district            text CHECK (district ~ '^[0-9]{6}$'),
    -- Argon2id in PHC form; never written to the audit trail.
    password_hash       text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    password_expires_at timestamptz,
    disabled            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- API tokens: random, shown once, kept as their SHA-256.
CREATE TABLE api_token (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    label       text,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Signed-in browsers: the cookie's SHA-256 and its end.
CREATE TABLE user_session (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TRIGGER app_user_touch BEFORE UPDATE ON app_user FOR EACH ROW EXECUTE FUNCTION onemap_touch();

-- Every audited table gets an `id`; the carried stock of a dispatch had none.
ALTER TABLE dispatch_item ADD COLUMN id bigserial UNIQUE;

-- One record per changed row per transaction: the row before the transaction and after it.
-- `actor` is the onemap user (set by onemap with SET LOCAL for the transaction) or, for plain
-- SQL, the database role; `xact` joins the changes of one transaction.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    xact          bigint NOT NULL DEFAULT txid_current(),
    actor         text NOT NULL,
    actor_user_id bigint,
    db_role       text NOT NULL DEFAULT session_user,
    table_name    text NOT NULL,
    row_id        bigint NOT NULL,
    op            text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    before        jsonb,
    after         jsonb,
    UNIQUE (xact, table_name, row_id)
);
CREATE INDEX audit_log_row ON audit_log (table_name, row_id);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_at ON audit_log (at);

-- Statement-level, from the transition tables: a bulk import costs one INSERT … SELECT per
-- statement, not a trigger call per row. A second change of a row in the same transaction
-- updates its record (`before` stays the first state); an insert then delete leaves none.
CREATE FUNCTION onemap_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who    text := coalesce(nullif(current_setting('onemap.actor', true), ''), session_user);
    who_id bigint := nullif(current_setting('onemap.actor_id', true), '')::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log AS a (actor, actor_user_id, table_name, row_id, op, before, after)
        SELECT who, who_id, TG_TABLE_NAME, n.id, 'insert', NULL, to_jsonb(n) - 'password_hash' - 'token_hash'
          FROM new_rows n
        ON CONFLICT (xact, table_name, row_id) DO UPDATE
           SET after = EXCLUDED.after, op = CASE WHEN a.op = 'delete' THEN 'update' ELSE a.op END;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO audit_log AS a (actor, actor_user_id, table_name, row_id, op, before, after)
        SELECT who, who_id, TG_TABLE_NAME, n.id, 'update',
               to_jsonb(o) - 'password_hash' - 'token_hash', to_jsonb(n) - 'password_hash' - 'token_hash'
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE to_jsonb(o) - 'updated_at' IS DISTINCT FROM to_jsonb(n) - 'updated_at'
        ON CONFLICT (xact, table_name, row_id) DO UPDATE SET after = EXCLUDED.after;
    ELSE
        INSERT INTO audit_log AS a (actor, actor_user_id, table_name, row_id, op, before, after)
        SELECT who, who_id, TG_TABLE_NAME, o.id, 'delete', to_jsonb(o) - 'password_hash' - 'token_hash', NULL
          FROM old_rows o
        ON CONFLICT (xact, table_name, row_id) DO UPDATE
           SET after = NULL, op = CASE WHEN a.op = 'insert' THEN 'insert' ELSE 'delete' END;
        DELETE FROM audit_log
         WHERE xact = txid_current() AND table_name = TG_TABLE_NAME AND op = 'insert' AND after IS NULL;
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['district', 'risk_source', 'risk_substance', 'inspection', 'receptor',
                             'route', 'depot', 'stock_item', 'team', 'expert', 'incident',
                             'dispatch', 'dispatch_item', 'app_user', 'api_token'] LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;

-- Whether a row (as JSON, as the audit keeps it) belongs to district `code`: its `district`
-- is that district's name or code, or its geometry lies in the district; rows without either
-- belong where their parent does. Used for district users' writes and their view of the audit.
CREATE FUNCTION onemap_in_district(tbl text, r jsonb, code text) RETURNS boolean
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
    WHEN 'dispatch' THEN
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
