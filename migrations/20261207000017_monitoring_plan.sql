-- Emergency monitoring (issue 24, part 5): an incident's monitoring plan — its sampling points,
-- their frequencies, who samples, and what the model predicts there — proposed, edited while
-- a draft, then issued as orders with a SensorThings sampling point each.
CREATE TABLE monitoring_plan (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL UNIQUE REFERENCES incident (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued')),
    plan        jsonb NOT NULL,
    made_by     text NOT NULL,
    issued_by   text,
    issued_at   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'issued') = (issued_at IS NOT NULL))
);
SELECT onemap_audit_tables(ARRAY['monitoring_plan']);
