-- Jurisdiction (issue 20): a row of a district user must have both its stored `district` and
-- its geometry in the district; before, either was enough, so a district user could file a row
-- physically in another district by naming their own, or name another district for a row at
-- home. A row with neither belongs nowhere (a district user cannot write it). District rows are
-- refused to district users in onemap itself; here they are judged by their code, for reading
-- the audit trail.
CREATE OR REPLACE FUNCTION onemap_in_district(tbl text, r jsonb, code text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d record;
    has_geom boolean;
BEGIN
    IF r IS NULL OR jsonb_typeof(r) <> 'object' THEN
        RETURN false;
    END IF;
    SELECT x.name, x.code, x.geom INTO d FROM district x WHERE x.code = onemap_in_district.code;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    CASE tbl
    WHEN 'district' THEN
        RETURN r->>'code' = d.code;
    WHEN 'stock_item' THEN
        RETURN EXISTS (SELECT 1 FROM depot p WHERE p.id = (r->>'depot_id')::bigint
                         AND onemap_in_district('depot', to_jsonb(p), d.code));
    WHEN 'inspection', 'risk_substance' THEN
        RETURN EXISTS (SELECT 1 FROM risk_source p WHERE p.id = (r->>'risk_source_id')::bigint
                         AND onemap_in_district('risk_source', to_jsonb(p), d.code));
    WHEN 'dispatch', 'incident_report' THEN
        RETURN EXISTS (SELECT 1 FROM incident p WHERE p.id = (r->>'incident_id')::bigint
                         AND onemap_in_district('incident', to_jsonb(p), d.code));
    WHEN 'dispatch_item' THEN
        RETURN EXISTS (SELECT 1 FROM dispatch p WHERE p.id = (r->>'dispatch_id')::bigint
                         AND onemap_in_district('dispatch', to_jsonb(p), d.code));
    WHEN 'turn_restriction' THEN
        RETURN EXISTS (SELECT 1 FROM route p WHERE p.id = (r->>'from_route_id')::bigint
                         AND onemap_in_district('route', to_jsonb(p), d.code));
    WHEN 'app_user', 'api_token' THEN
        RETURN false;
    ELSE
        has_geom := coalesce(jsonb_typeof(r->'geom') = 'object', false);
        IF r->>'district' IS NULL AND NOT has_geom THEN
            RETURN false;
        END IF;
        RETURN (r->>'district' IS NULL OR r->>'district' IN (d.name, d.code))
           AND (NOT has_geom OR ST_CoveredBy(ST_SetSRID(ST_GeomFromGeoJSON(r->'geom'), 4326), d.geom));
    END CASE;
END $$;
