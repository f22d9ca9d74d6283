-- Credentials kept in memory by each onemap process (issue 20) are dropped the moment they
-- change: a revoked or expired token, a disabled user, a new password or role, a signed-out
-- session notify `onemap_credentials` with the user's id, in every instance.
CREATE FUNCTION onemap_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'app_user' THEN
        PERFORM pg_notify('onemap_credentials', r.id::text);
    ELSE
        PERFORM pg_notify('onemap_credentials', r.user_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER app_user_credentials AFTER UPDATE OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION onemap_credentials_changed();
CREATE TRIGGER api_token_credentials AFTER UPDATE OR DELETE ON api_token
    FOR EACH ROW EXECUTE FUNCTION onemap_credentials_changed();
CREATE TRIGGER user_session_credentials AFTER DELETE ON user_session
    FOR EACH ROW EXECUTE FUNCTION onemap_credentials_changed();

-- A session also ends after a while without use (the idle timeout), beside its absolute end.
ALTER TABLE user_session ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
