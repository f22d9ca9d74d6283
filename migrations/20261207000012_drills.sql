-- Drills (issue 23, part 6, 演练): scheduled from a plan's scenario, run in exercise mode — an
-- incident marked `drill`, whose response, orders, notices and reports work as real ones — and
-- evaluated with the same figures. A drill incident is marked in every feed event about it and
-- left out of the statistics and the case library.

ALTER TABLE incident ADD COLUMN drill boolean NOT NULL DEFAULT false;
-- A real incident never becomes an exercise (out of the statistics), nor an exercise a real one.
CREATE FUNCTION incident_drill_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.drill IS DISTINCT FROM OLD.drill THEN
        RAISE EXCEPTION 'incident %: whether it is a drill is fixed when it is written', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_drill_fixed BEFORE UPDATE OF drill ON incident FOR EACH ROW EXECUTE FUNCTION incident_drill_fixed();

CREATE TABLE drill (
    id            bigserial PRIMARY KEY,
    plan_id       bigint NOT NULL REFERENCES plan (id) ON DELETE RESTRICT,
    scenario_id   bigint NOT NULL REFERENCES plan_scenario (id) ON DELETE RESTRICT,
    -- The plan's district, for jurisdiction.
    district      text NOT NULL CHECK (district ~ '^[0-9]{6}$'),
    title         text NOT NULL CHECK (title <> '' AND length(title) <= 200),
    scheduled_for timestamptz NOT NULL,
    participants  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(participants) <= 50),
    status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'running', 'done', 'cancelled')),
    incident_id   bigint UNIQUE REFERENCES incident (id) ON DELETE SET NULL,
    started_at    timestamptz,
    ended_at      timestamptz,
    evaluation    text CHECK (length(evaluation) <= 8000),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((status IN ('running', 'done')) = (started_at IS NOT NULL)),
    CHECK ((status = 'done') = (ended_at IS NOT NULL))
);
CREATE INDEX drill_plan ON drill (plan_id);
CREATE INDEX drill_scheduled ON drill (scheduled_for);
CREATE TRIGGER drill_touch BEFORE UPDATE ON drill FOR EACH ROW EXECUTE FUNCTION onemap_touch();
SELECT onemap_audit_tables(ARRAY['drill']);

-- Every event about a drill incident says so (`"drill": true`): the feed, the wall and every
-- client see an exercise as one, whichever part of it the event is about.
-- (The parameters are named with the function: inside the query an incident's own `kind`
-- column would win.)
CREATE OR REPLACE FUNCTION onemap_event(kind text, data jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO event_outbox (kind, data, actor)
    VALUES (onemap_event.kind,
            CASE WHEN EXISTS (SELECT 1 FROM incident i WHERE i.drill AND i.id = coalesce(
                     CASE WHEN onemap_event.data->>'incident_id' ~ '^[0-9]+$'
                          THEN (onemap_event.data->>'incident_id')::bigint END,
                     CASE WHEN onemap_event.kind = 'incident' AND onemap_event.data->>'id' ~ '^[0-9]+$'
                          THEN (onemap_event.data->>'id')::bigint END))
                 THEN onemap_event.data || '{"drill": true}'::jsonb ELSE onemap_event.data END,
            coalesce(nullif(current_setting('onemap.actor', true), ''), session_user));
$$;
