-- The public face of the plans, for OGC API Features (the collection `plans`): what anyone may
-- read of a plan (its public fields and the public summaries, 简本, of the version in force) at
-- the places it belongs to — its risk sources, its intake, else its district's centre — as points.
CREATE VIEW plans AS
SELECT p.id, p.name, p.kind, p.level, p.district, p.districts, p.risk_level,
       (SELECT coalesce(array_agg(s.name ORDER BY s.id), '{}') FROM plan_source ps
          JOIN risk_source s ON s.id = ps.risk_source_id WHERE ps.plan_id = p.id) AS sources,
       CASE WHEN v.id IS NOT NULL THEN
           (SELECT f.filing_number FROM plan_filing f WHERE f.plan_id = p.id AND f.filing_number IS NOT NULL
             ORDER BY f.submitted_on DESC, f.id DESC LIMIT 1) END AS filing_number,
       v.in_force_on,
       (SELECT coalesce(array_agg('/api/plan-documents/' || d.id ORDER BY d.id), '{}') FROM plan_document d
         WHERE d.version_id = v.id AND d.public) AS summaries,
       coalesce(
           (SELECT ST_Multi(ST_Collect(ST_PointOnSurface(s.geom) ORDER BY s.id)) FROM plan_source ps
              JOIN risk_source s ON s.id = ps.risk_source_id WHERE ps.plan_id = p.id),
           (SELECT ST_Multi(ST_PointOnSurface(r.geom)) FROM receptor r WHERE r.id = p.receptor_id),
           (SELECT ST_Multi(ST_PointOnSurface(x.geom)) FROM district x WHERE x.code = p.district)) AS geom
  FROM plan p
  LEFT JOIN plan_version v ON v.plan_id = p.id AND v.status = 'in_force';
