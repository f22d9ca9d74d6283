-- The security log (GB/T 22239-2019 §8.1.4.3, 安全审计): sign-ins and their failures, lock-outs,
-- refused requests, credential, role and account changes, pruning — who, from where, when.
-- Kept beside the data audit trail; both are append-only for onemap's own role: a row of a
-- committed transaction is never changed, and deleted only past the retention of 180 days by
-- `onemap audit prune` (which says so with `onemap.pruning` and is logged itself).
CREATE TABLE security_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    xact      bigint NOT NULL DEFAULT txid_current(),
    kind      text NOT NULL CHECK (kind IN ('sign_in', 'sign_in_failed', 'locked_out', 'refused',
                                            'credential', 'role', 'account', 'prune')),
    actor     text NOT NULL,
    user_name text,
    address   text,
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX security_log_at ON security_log (at);
CREATE INDEX security_log_user ON security_log (user_name);

CREATE FUNCTION onemap_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The audit trigger consolidates the records of its own transaction (insert then delete).
    IF OLD.xact = txid_current() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '180 days'
       AND current_setting('onemap.pruning', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: a record is never changed, and deleted only past 180 days by onemap audit prune',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION onemap_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: it cannot be truncated', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION onemap_append_only();
CREATE TRIGGER security_log_append_only BEFORE UPDATE OR DELETE ON security_log
    FOR EACH ROW EXECUTE FUNCTION onemap_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_no_truncate();
CREATE TRIGGER security_log_no_truncate BEFORE TRUNCATE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_no_truncate();

-- Credential, role and account changes, by any path (onemap, its command line, psql).
CREATE FUNCTION onemap_security_account() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who  text := coalesce(nullif(current_setting('onemap.actor', true), ''), session_user);
    addr text := coalesce(nullif(current_setting('onemap.address', true), ''), host(inet_client_addr()), 'local');
    name text;
BEGIN
    IF TG_TABLE_NAME = 'app_user' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO security_log (kind, actor, user_name, address, detail)
            VALUES ('account', who, NEW.name, addr,
                    jsonb_build_object('change', 'created', 'role', NEW.role, 'district', NEW.district));
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO security_log (kind, actor, user_name, address, detail)
            VALUES ('account', who, OLD.name, addr, jsonb_build_object('change', 'deleted'));
        ELSE
            IF NEW.role IS DISTINCT FROM OLD.role OR NEW.district IS DISTINCT FROM OLD.district THEN
                INSERT INTO security_log (kind, actor, user_name, address, detail)
                VALUES ('role', who, NEW.name, addr, jsonb_build_object(
                    'from', jsonb_build_object('role', OLD.role, 'district', OLD.district),
                    'to', jsonb_build_object('role', NEW.role, 'district', NEW.district)));
            END IF;
            IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
                INSERT INTO security_log (kind, actor, user_name, address, detail)
                VALUES ('credential', who, NEW.name, addr, jsonb_build_object('change', 'password'));
            END IF;
            IF NEW.disabled IS DISTINCT FROM OLD.disabled THEN
                INSERT INTO security_log (kind, actor, user_name, address, detail)
                VALUES ('account', who, NEW.name, addr,
                        jsonb_build_object('change', CASE WHEN NEW.disabled THEN 'disabled' ELSE 'enabled' END));
            END IF;
        END IF;
    ELSE
        SELECT u.name INTO name FROM app_user u WHERE u.id = NEW.user_id;
        IF TG_OP = 'INSERT' THEN
            INSERT INTO security_log (kind, actor, user_name, address, detail)
            VALUES ('credential', who, name, addr,
                    jsonb_build_object('change', 'token created', 'token', NEW.id, 'label', NEW.label));
        ELSIF TG_OP = 'UPDATE' AND NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
            INSERT INTO security_log (kind, actor, user_name, address, detail)
            VALUES ('credential', who, name, addr, jsonb_build_object('change', 'token revoked', 'token', NEW.id));
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER app_user_security AFTER INSERT OR UPDATE OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION onemap_security_account();
CREATE TRIGGER api_token_security AFTER INSERT OR UPDATE ON api_token
    FOR EACH ROW EXECUTE FUNCTION onemap_security_account();
