-- Photos of an order done in the field (issue 23, part 3): an attachment's record may be an
-- order; its photos go with it.

ALTER TABLE attachment DROP CONSTRAINT attachment_record_table_check;
ALTER TABLE attachment ADD CONSTRAINT attachment_record_table_check
    CHECK (record_table IN ('incident', 'incident_report', 'inspection', 'response_order'));
CREATE TRIGGER response_order_attachments_deleted AFTER DELETE ON response_order REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attachment_record_deleted();
