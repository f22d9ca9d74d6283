-- After the response (issue 23, part 5, 复盘): the investigation — cause, nature, responsibility —,
-- the losses and the lessons of an incident, and its corrective actions with owners and
-- deadlines, tracked to done ("三个不放过"). The figures of how the response went are computed
-- from the timeline when asked, not stored.

CREATE TABLE review (
    id             bigserial PRIMARY KEY,
    incident_id    bigint NOT NULL UNIQUE REFERENCES incident (id) ON DELETE CASCADE,
    cause          text CHECK (length(cause) <= 4000),
    nature         text CHECK (length(nature) <= 2000),
    responsibility text CHECK (length(responsibility) <= 4000),
    -- {"deaths", "injuries", "evacuated", "direct_loss_yuan", "description"}
    losses         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(losses) = 'object'),
    lessons        text CHECK (length(lessons) <= 8000),
    recorded_by    text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE corrective_action (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    what        text NOT NULL CHECK (what <> '' AND length(what) <= 2000),
    owner       text NOT NULL CHECK (owner <> '' AND length(owner) <= 200),
    due_on      date NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_at     timestamptz,
    done_by     text,
    done_note   text CHECK (length(done_note) <= 2000),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX corrective_action_incident ON corrective_action (incident_id);
CREATE INDEX corrective_action_open ON corrective_action (due_on) WHERE status = 'open';

CREATE TRIGGER review_touch BEFORE UPDATE ON review FOR EACH ROW EXECUTE FUNCTION onemap_touch();
CREATE TRIGGER corrective_action_touch BEFORE UPDATE ON corrective_action FOR EACH ROW EXECUTE FUNCTION onemap_touch();
SELECT onemap_audit_tables(ARRAY['review', 'corrective_action']);
