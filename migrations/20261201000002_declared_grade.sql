-- The grade a risk source declared in its filed risk assessment (备案等级) and the filing date,
-- beside the grade the database computes under HJ 941-2018: a lower declared grade is what the
-- desk review (GET /api/risk/grade-check) looks for.
ALTER TABLE risk_source
    ADD COLUMN declared_grade text CHECK (declared_grade IN ('一般', '较大', '重大')),
    ADD COLUMN declared_on    date;
