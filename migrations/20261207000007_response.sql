-- The response to an incident (issue 23, parts 2 and 3): its level with who and why, the command
-- post and its groups, the plans activated, its end with the conditions; and orders (指令) that
-- come back — issued to a team, a district's duty office, an enterprise, a command group or a
-- user, acknowledged, done (with a note and a position) or refused (with the reason).

CREATE TABLE response (
    id             bigserial PRIMARY KEY,
    incident_id    bigint NOT NULL UNIQUE REFERENCES incident (id) ON DELETE CASCADE,
    level          text NOT NULL CHECK (level IN ('IV', 'III', 'II', 'I')),
    command_post   text CHECK (length(command_post) <= 500),
    -- [{"name": "监测组", "lead": "…", "members": ["user", …]}]
    groups         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(groups) = 'array'),
    declared_at    timestamptz NOT NULL DEFAULT now(),
    declared_by    text NOT NULL,
    ended_at       timestamptz,
    ended_by       text,
    end_conditions text CHECK (length(end_conditions) <= 4000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((ended_at IS NULL) = (end_conditions IS NULL))
);

-- Every level declared, with who and why.
CREATE TABLE response_level (
    id          bigserial PRIMARY KEY,
    response_id bigint NOT NULL REFERENCES response (id) ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('IV', 'III', 'II', 'I')),
    at          timestamptz NOT NULL DEFAULT now(),
    by_user     text NOT NULL,
    why         text NOT NULL CHECK (why <> '' AND length(why) <= 2000)
);

-- The plans a response activated, and the scenario followed.
CREATE TABLE plan_activation (
    id           bigserial PRIMARY KEY,
    response_id  bigint NOT NULL REFERENCES response (id) ON DELETE CASCADE,
    plan_id      bigint NOT NULL REFERENCES plan (id) ON DELETE RESTRICT,
    scenario_id  bigint REFERENCES plan_scenario (id) ON DELETE SET NULL,
    activated_at timestamptz NOT NULL DEFAULT now(),
    activated_by text NOT NULL,
    UNIQUE (response_id, plan_id)
);

CREATE TABLE response_order (
    id              bigserial PRIMARY KEY,
    incident_id     bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    what            text NOT NULL CHECK (what <> '' AND length(what) <= 2000),
    module          text NOT NULL CHECK (module IN ('monitoring', 'containment', 'warning', 'reporting',
                        'evacuation', 'public_info', 'support', 'other')),
    to_kind         text NOT NULL CHECK (to_kind IN ('team', 'district', 'enterprise', 'group', 'user')),
    to_ref          text NOT NULL CHECK (to_ref <> '' AND length(to_ref) <= 200),
    due_at          timestamptz NOT NULL,
    -- The plan measure it came from: {"plan_id", "scenario_id", "step"}.
    from_measure    jsonb,
    status          text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'acknowledged', 'done', 'refused')),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    issued_by       text NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by text,
    done_at         timestamptz,
    done_by         text,
    note            text CHECK (length(note) <= 4000),
    position        geometry(Point, 4326),
    refused_reason  text CHECK (length(refused_reason) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'refused') = (refused_reason IS NOT NULL)),
    CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX response_order_incident ON response_order (incident_id);
CREATE INDEX response_order_to ON response_order (to_kind, to_ref) WHERE status IN ('issued', 'acknowledged');

CREATE TRIGGER response_touch BEFORE UPDATE ON response FOR EACH ROW EXECUTE FUNCTION onemap_touch();
CREATE TRIGGER response_order_touch BEFORE UPDATE ON response_order FOR EACH ROW EXECUTE FUNCTION onemap_touch();
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['response', 'response_level', 'plan_activation', 'response_order'] LOOP
        EXECUTE format('CREATE TRIGGER %I_audit_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
        EXECUTE format('CREATE TRIGGER %I_audit_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit()', t, t);
    END LOOP;
END $$;
