-- Who found a hazard: the bureau's inspection (排查) or the enterprise's own self-check (自查,
-- recorded by the enterprise for its own risk sources); and the day a hazard was put right.
ALTER TABLE inspection ADD COLUMN kind text NOT NULL DEFAULT 'bureau' CHECK (kind IN ('bureau', 'self'));
ALTER TABLE inspection ADD COLUMN rectified_on date;
ALTER TABLE inspection ADD CONSTRAINT inspection_rectified_after
    CHECK (rectified_on IS NULL OR (rectified AND rectified_on >= inspected_on));
