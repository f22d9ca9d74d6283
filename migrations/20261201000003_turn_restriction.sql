-- Turn restrictions of the road network (OpenStreetMap's type=restriction relations with a via
-- node): at the node where `from_route_id` and `to_route_id` meet, `no_*` forbids turning from
-- the one into the other, `only_*` forbids every other way on. Edited like the roads.
CREATE TABLE turn_restriction (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('no_left_turn', 'no_right_turn', 'no_straight_on', 'no_u_turn',
                                               'no_entry', 'no_exit', 'only_left_turn', 'only_right_turn',
                                               'only_straight_on', 'only_u_turn')),
    from_route_id bigint NOT NULL REFERENCES route (id) ON DELETE CASCADE,
    to_route_id   bigint NOT NULL REFERENCES route (id) ON DELETE CASCADE,
    -- At which end of the from road the turn is: needed when the two roads meet at both ends or
    -- are one road (a u-turn); else the end they share.
    via           text CHECK (via IN ('start', 'end')),
    osm_id        bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX turn_restriction_from ON turn_restriction (from_route_id);
CREATE INDEX turn_restriction_to ON turn_restriction (to_route_id);
CREATE TRIGGER turn_restriction_touch BEFORE UPDATE ON turn_restriction FOR EACH ROW EXECUTE FUNCTION onemap_touch();
CREATE TRIGGER turn_restriction_notify AFTER INSERT OR UPDATE OR DELETE ON turn_restriction
    FOR EACH ROW EXECUTE FUNCTION onemap_notify();
CREATE TRIGGER turn_restriction_audit_insert AFTER INSERT ON turn_restriction REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();
CREATE TRIGGER turn_restriction_audit_update AFTER UPDATE ON turn_restriction REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();
CREATE TRIGGER turn_restriction_audit_delete AFTER DELETE ON turn_restriction REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit();

