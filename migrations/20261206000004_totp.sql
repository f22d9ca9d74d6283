-- Second factor (TOTP, RFC 6238) of users who enrolled (administrators must): the shared
-- secret, which an authenticator app holds too, and the last step accepted (a code is used
-- once). Not in the audit trail; its enrolment is in the security log.
CREATE TABLE user_totp (
    user_id     bigint PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    secret      bytea NOT NULL CHECK (length(secret) >= 16),
    last_step   bigint,
    enrolled_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION onemap_security_totp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who  text := coalesce(nullif(current_setting('onemap.actor', true), ''), session_user);
    addr text := coalesce(nullif(current_setting('onemap.address', true), ''), host(inet_client_addr()), 'local');
    r    record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_OP = 'UPDATE' AND NEW.secret IS NOT DISTINCT FROM OLD.secret THEN
        RETURN NULL;
    END IF;
    INSERT INTO security_log (kind, actor, user_name, address, detail)
    SELECT 'credential', who, u.name, addr,
           jsonb_build_object('change', CASE WHEN TG_OP = 'DELETE' THEN 'one-time codes removed' ELSE 'one-time codes enrolled' END)
      FROM app_user u WHERE u.id = r.user_id;
    PERFORM pg_notify('onemap_credentials', r.user_id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER user_totp_security AFTER INSERT OR UPDATE OR DELETE ON user_totp
    FOR EACH ROW EXECUTE FUNCTION onemap_security_totp();
