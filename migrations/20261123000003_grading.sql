-- Risk sources are graded by the database after HJ 941-2018 whenever their substances, M or E
-- change (through onemap or plain SQL). The grading matrix is the table `hj941_matrix`, written
-- by onemap at start from its one encoding (src/risk/grading.rs).

CREATE TABLE hj941_matrix (
    e     text NOT NULL CHECK (e IN ('E1', 'E2', 'E3')),
    q     text NOT NULL CHECK (q IN ('Q1', 'Q2', 'Q3')),
    m     text NOT NULL CHECK (m IN ('M1', 'M2', 'M3', 'M4')),
    grade text NOT NULL CHECK (grade IN ('一般', '较大', '重大')),
    PRIMARY KEY (e, q, m)
);

ALTER TABLE risk_source DROP COLUMN grade;
ALTER TABLE risk_source
    ADD COLUMN grade   text CHECK (grade IN ('一般', '较大', '重大')),
    ADD COLUMN q_air   double precision NOT NULL DEFAULT 0,
    ADD COLUMN q_water double precision NOT NULL DEFAULT 0,
    ADD COLUMN level   text;

-- One medium: its grade and its part of the level string (`较大-大气(Q1-M2-E1)`, `一般-水(Q0)`);
-- both NULL when Q ≥ 1 and M or E is missing.
CREATE FUNCTION hj941_medium(ratio double precision, m_level text, e_level text, medium text,
                             OUT grade text, OUT label text) LANGUAGE plpgsql STABLE AS $$
DECLARE
    band int := CASE WHEN ratio >= 100 THEN 3 WHEN ratio >= 10 THEN 2 WHEN ratio >= 1 THEN 1 ELSE 0 END;
BEGIN
    IF band = 0 THEN
        grade := '一般';
        label := '一般-' || medium || '(Q0)';
        RETURN;
    END IF;
    IF m_level IS NULL OR e_level IS NULL THEN
        RETURN;
    END IF;
    SELECT x.grade INTO grade FROM hj941_matrix x WHERE x.e = e_level AND x.q = 'Q' || band AND x.m = m_level;
    label := grade || '-' || medium || '(Q' || band || '-' || m_level || '-' || e_level || ')';
END $$;

CREATE FUNCTION risk_source_grade() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    air record;
    water record;
BEGIN
    SELECT coalesce(sum(quantity_t / threshold_t) FILTER (WHERE medium IN ('air', 'both')), 0),
           coalesce(sum(quantity_t / threshold_t) FILTER (WHERE medium IN ('water', 'both')), 0)
      INTO NEW.q_air, NEW.q_water
      FROM risk_substance WHERE risk_source_id = NEW.id;
    air := hj941_medium(NEW.q_air, NEW.m_air, NEW.e_air, '大气');
    water := hj941_medium(NEW.q_water, NEW.m_water, NEW.e_water, '水');
    NEW.air_grade := air.grade;
    NEW.water_grade := water.grade;
    IF air.grade IS NULL OR water.grade IS NULL THEN
        NEW.grade := NULL;
        NEW.level := NULL;
    ELSE
        NEW.grade := CASE WHEN '重大' IN (air.grade, water.grade) THEN '重大'
                          WHEN '较大' IN (air.grade, water.grade) THEN '较大' ELSE '一般' END;
        NEW.level := NEW.grade || '[' || air.label || '+' || water.label || ']';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER risk_source_grade BEFORE INSERT OR UPDATE ON risk_source
    FOR EACH ROW EXECUTE FUNCTION risk_source_grade();

-- Substances are written after their risk source: each change regrades the parent.
CREATE FUNCTION risk_substance_regrade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE risk_source SET updated_at = now()
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.risk_source_id ELSE NEW.risk_source_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER risk_substance_regrade AFTER INSERT OR UPDATE OR DELETE ON risk_substance
    FOR EACH ROW EXECUTE FUNCTION risk_substance_regrade();
CREATE INDEX risk_source_grade_index ON risk_source (grade);
