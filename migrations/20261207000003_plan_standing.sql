-- A plan's standing on the legal clock (and its live revision flags), as onemap last reckoned it:
-- written after each step of the plan and by the watcher as the days pass, so that the map can
-- colour each risk source by its plans without reckoning working days in SQL. Derived, not
-- recorded: no audit; `since` is the day the standing began.
CREATE TABLE plan_standing (
    plan_id  bigint PRIMARY KEY REFERENCES plan (id) ON DELETE CASCADE,
    standing text NOT NULL CHECK (standing IN ('in_force', 'revise', 'due_soon', 'due', 'overdue', 'none')),
    since    date NOT NULL
);

-- A risk source's plan standing: the worst of its plans' (overdue, due_soon, due — a plan being
-- prepared and none in force —, revise, in_force), `none` where no plan stands.
CREATE FUNCTION risk_source_plan(t risk_source) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('plan_standing', coalesce((
        SELECT (ARRAY['in_force', 'revise', 'due', 'due_soon', 'overdue'])[max(
                   CASE s.standing WHEN 'in_force' THEN 1 WHEN 'revise' THEN 2 WHEN 'due' THEN 3
                                   WHEN 'due_soon' THEN 4 WHEN 'overdue' THEN 5 END)]
          FROM plan_source p JOIN plan_standing s ON s.plan_id = p.plan_id
         WHERE p.risk_source_id = t.id AND s.standing <> 'none'), 'none'))
$$;

-- The map follows: a change of a plan's standing, or of the sources a plan covers, is a change
-- of those risk sources.
CREATE FUNCTION plan_standing_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan bigint;
    source bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN plan := OLD.plan_id; ELSE plan := NEW.plan_id; END IF;
    FOR source IN SELECT risk_source_id FROM plan_source WHERE plan_id = plan LOOP
        PERFORM pg_notify('onemap_change', json_build_object('layer', 'risk_source', 'id', source, 'op', 'update')::text);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER plan_standing_notify AFTER INSERT OR UPDATE OR DELETE ON plan_standing
    FOR EACH ROW EXECUTE FUNCTION plan_standing_notify();

CREATE FUNCTION plan_source_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN source := OLD.risk_source_id; ELSE source := NEW.risk_source_id; END IF;
    PERFORM pg_notify('onemap_change', json_build_object('layer', 'risk_source', 'id', source, 'op', 'update')::text);
    RETURN NULL;
END $$;
CREATE TRIGGER plan_source_notify AFTER INSERT OR UPDATE OR DELETE ON plan_source
    FOR EACH ROW EXECUTE FUNCTION plan_source_notify();
