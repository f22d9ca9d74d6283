-- Incidents and the dispatches sent to them (issue 4). Stock moves only through these tables'
-- transactions: a dispatch reserves, arrival takes stock out, return puts it back.

CREATE TABLE incident (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('water', 'air', 'soil')),
    pollutant   text,
    cause       text,
    severity    text NOT NULL CHECK (severity IN ('一般', '较大', '重大', '特别重大')),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    district    text,
    geom        geometry(Point, 4326) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- An incident written without its time happened now (or keeps the time it had).
CREATE FUNCTION incident_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.occurred_at IS NULL THEN
        IF TG_OP = 'UPDATE' THEN NEW.occurred_at := OLD.occurred_at; ELSE NEW.occurred_at := now(); END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_time BEFORE INSERT OR UPDATE ON incident FOR EACH ROW EXECUTE FUNCTION incident_time();
CREATE INDEX incident_geom ON incident USING gist (geom);
CREATE TRIGGER incident_touch BEFORE UPDATE ON incident FOR EACH ROW EXECUTE FUNCTION onemap_touch();
CREATE TRIGGER incident_notify AFTER INSERT OR UPDATE OR DELETE ON incident
    FOR EACH ROW EXECUTE FUNCTION onemap_notify();

-- One vehicle or convoy: the stock of one depot, or one team, sent to one incident.
CREATE TABLE dispatch (
    id             bigserial PRIMARY KEY,
    incident_id    bigint NOT NULL REFERENCES incident (id) ON DELETE RESTRICT,
    depot_id       bigint REFERENCES depot (id) ON DELETE RESTRICT,
    team_id        bigint REFERENCES team (id) ON DELETE RESTRICT,
    travel_seconds double precision NOT NULL CHECK (travel_seconds >= 0),
    travel_metres  double precision NOT NULL CHECK (travel_metres >= 0),
    eta            timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'planned'
                       CHECK (status IN ('planned', 'en_route', 'arrived', 'consumed', 'returned', 'cancelled')),
    planned_at     timestamptz NOT NULL DEFAULT now(),
    en_route_at    timestamptz,
    arrived_at     timestamptz,
    finished_at    timestamptz,
    CHECK ((depot_id IS NULL) <> (team_id IS NULL))
);
CREATE INDEX dispatch_incident ON dispatch (incident_id);

-- What a depot's dispatch carries, row by row of its stock (earliest expiry first).
CREATE TABLE dispatch_item (
    dispatch_id   bigint NOT NULL REFERENCES dispatch (id) ON DELETE CASCADE,
    stock_item_id bigint NOT NULL REFERENCES stock_item (id) ON DELETE RESTRICT,
    item          text NOT NULL,
    unit          text NOT NULL,
    quantity      double precision NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (dispatch_id, stock_item_id)
);
CREATE INDEX dispatch_item_stock ON dispatch_item (stock_item_id);
