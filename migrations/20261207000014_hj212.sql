-- Stations speaking HJ 212-2017 (issue 24, part 2): a station's MN (its unique code) and the
-- hash of its access password (PW), which every packet must carry. The password is kept only
-- as SHA-256 of MN and password (the standard sends it in clear; stored, it is not).
CREATE TABLE hj212_station (
    id            bigserial PRIMARY KEY,
    mn            text NOT NULL UNIQUE CHECK (mn ~ '^[0-9A-Za-z]{1,24}$'),
    thing_id      bigint NOT NULL UNIQUE REFERENCES sta_thing (id) ON DELETE CASCADE,
    password_hash bytea NOT NULL
);
SELECT onemap_audit_tables(ARRAY['hj212_station']);

-- One datastream per station, pollutant and command: packets create it on first use, and two
-- at once must not make two.
CREATE UNIQUE INDEX sta_datastream_hj212 ON sta_datastream (thing_id, (properties -> 'hj212'))
    WHERE properties ? 'hj212';
