-- Across boundaries (issue 23, part 4): the counties beyond the city's edge, so a notice can say
-- whose duty office the spill or the cloud reaches next; cross-boundary notices (跨界通报) as
-- orders of their own kind, drafted by onemap and sent by the command; and support requests
-- (应急支援) a district files to the city, approved in whole or part into dispatches.

-- The counties that border the city (from the same source as the districts; not a
-- jurisdiction: nobody acts for them in onemap). Reference data, replaced with the demo.
CREATE TABLE neighbour (
    code     text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name     text NOT NULL CHECK (name <> ''),
    city     text NOT NULL CHECK (city <> ''),
    province text NOT NULL CHECK (province <> ''),
    geom     geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX neighbour_geom ON neighbour USING gist (geom);

-- A notice is an order that is drafted first (onemap writes it, the command sends it), and
-- may go to a neighbouring city's duty office (by the city's name).
ALTER TABLE response_order ADD COLUMN kind text NOT NULL DEFAULT 'order' CHECK (kind IN ('order', 'notice'));
-- What is coming and when: {"medium", "arrives_at", "hours", "place", "counties"}.
ALTER TABLE response_order ADD COLUMN crossing jsonb CHECK (crossing IS NULL OR jsonb_typeof(crossing) = 'object');
ALTER TABLE response_order DROP CONSTRAINT response_order_status_check;
ALTER TABLE response_order ADD CONSTRAINT response_order_status_check
    CHECK (status IN ('draft', 'issued', 'acknowledged', 'done', 'refused'));
ALTER TABLE response_order DROP CONSTRAINT response_order_to_kind_check;
ALTER TABLE response_order ADD CONSTRAINT response_order_to_kind_check
    CHECK (to_kind IN ('team', 'district', 'enterprise', 'group', 'user', 'city'));
ALTER TABLE response_order ADD CONSTRAINT response_order_draft_is_notice CHECK (status <> 'draft' OR kind = 'notice');
ALTER TABLE response_order ADD CONSTRAINT response_order_notice_crosses CHECK ((kind = 'notice') = (crossing IS NOT NULL));
-- One notice an addressee and a medium in an incident: drafting again updates the draft.
CREATE UNIQUE INDEX response_order_one_notice ON response_order (incident_id, to_kind, to_ref, (crossing->>'medium'))
    WHERE kind = 'notice';

CREATE TABLE support_request (
    id            bigserial PRIMARY KEY,
    incident_id   bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    -- The district that asks.
    district      text NOT NULL REFERENCES district (code),
    -- As a plan asks: [{"item"|"category", "quantity", "unit"} | {"specialty", "count"}].
    demands       jsonb NOT NULL CHECK (jsonb_typeof(demands) = 'array' AND jsonb_array_length(demands) > 0),
    -- Higher is served first (一般 1 … 特别重大 4).
    priority      integer NOT NULL CHECK (priority BETWEEN 1 AND 4),
    needed_by     timestamptz NOT NULL,
    note          text CHECK (length(note) <= 2000),
    status        text NOT NULL DEFAULT 'filed'
                  CHECK (status IN ('filed', 'approved', 'partly_approved', 'declined')),
    filed_at      timestamptz NOT NULL DEFAULT now(),
    filed_by      text NOT NULL,
    -- The city's decision: the amount approved of each demand, in its order.
    approved      jsonb CHECK (approved IS NULL OR jsonb_typeof(approved) = 'array'),
    decided_at    timestamptz,
    decided_by    text,
    decision_note text CHECK (length(decision_note) <= 2000),
    -- The dispatches it became.
    dispatch_ids  bigint[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'filed') = (decided_at IS NULL))
);
CREATE INDEX support_request_incident ON support_request (incident_id);
CREATE TRIGGER support_request_touch BEFORE UPDATE ON support_request FOR EACH ROW EXECUTE FUNCTION onemap_touch();
-- The audit trail's three triggers on each of `tables` (every migration wrote the loop again).
CREATE FUNCTION onemap_audit_tables(tables text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;
SELECT onemap_audit_tables(ARRAY['support_request']);
