-- Interception sites on the rivers (issue 13): where a spill can be stopped before it reaches an
-- intake — sluices, dams, bridges, culverts and boom points — with who runs them.

CREATE TABLE intercept_site (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('sluice', 'dam', 'bridge', 'culvert', 'boom_point')),
    river       text,
    owner       text,
    contact     text,
    notes       text,
    district    text,
    geom        geometry(Point, 4326) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intercept_site_geom ON intercept_site USING gist (geom);
CREATE TRIGGER intercept_site_touch BEFORE UPDATE ON intercept_site FOR EACH ROW EXECUTE FUNCTION onemap_touch();
CREATE TRIGGER intercept_site_notify AFTER INSERT OR UPDATE OR DELETE ON intercept_site
    FOR EACH ROW EXECUTE FUNCTION onemap_notify();
CREATE TRIGGER intercept_site_audit_insert AFTER INSERT ON intercept_site REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();
CREATE TRIGGER intercept_site_audit_update AFTER UPDATE ON intercept_site REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();
CREATE TRIGGER intercept_site_audit_delete AFTER DELETE ON intercept_site REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();
CREATE TRIGGER intercept_site_event_insert AFTER INSERT ON intercept_site REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_change_event();
CREATE TRIGGER intercept_site_event_update AFTER UPDATE ON intercept_site REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_change_event();
CREATE TRIGGER intercept_site_event_delete AFTER DELETE ON intercept_site REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_change_event();

-- A dispatch may go to an interception site rather than to the incident itself.
ALTER TABLE dispatch ADD COLUMN site_id bigint REFERENCES intercept_site (id) ON DELETE RESTRICT;
