-- Piri's five scheduler trigger functions and triggers (piri-data-model.md §6.3; Piri's triggers.postgres.sql) and
-- its column comments, one statement per breakpoint. Unlike Piri, every name is schema-qualified, so the triggers
-- work whatever the session's search_path is.
CREATE OR REPLACE FUNCTION scheduler.increment_proofset_refcount()
    RETURNS TRIGGER AS $$
BEGIN
    UPDATE scheduler.pdp_piecerefs
    SET proofset_refcount = proofset_refcount + 1
    WHERE id = NEW.pdp_piece_ref_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION scheduler.decrement_proofset_refcount()
    RETURNS TRIGGER AS $$
BEGIN
    UPDATE scheduler.pdp_piecerefs
    SET proofset_refcount = proofset_refcount - 1
    WHERE id = OLD.pdp_piece_ref_id;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION scheduler.adjust_proofset_refcount_on_update()
    RETURNS TRIGGER AS $$
BEGIN
    IF OLD.pdp_piece_ref_id IS DISTINCT FROM NEW.pdp_piece_ref_id THEN
        IF OLD.pdp_piece_ref_id IS NOT NULL THEN
            UPDATE scheduler.pdp_piecerefs
            SET proofset_refcount = proofset_refcount - 1
            WHERE id = OLD.pdp_piece_ref_id;
        END IF;
        IF NEW.pdp_piece_ref_id IS NOT NULL THEN
            UPDATE scheduler.pdp_piecerefs
            SET proofset_refcount = proofset_refcount + 1
            WHERE id = NEW.pdp_piece_ref_id;
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION scheduler.update_pdp_proofset_creates()
    RETURNS TRIGGER AS $$
BEGIN
    IF OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed') THEN
        UPDATE scheduler.pdp_proofset_creates
        SET ok = CASE
                     WHEN NEW.tx_status = 'failed' OR NEW.tx_success = FALSE THEN FALSE
                     WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = TRUE THEN TRUE
                     ELSE ok
                 END
        WHERE create_message_hash = NEW.signed_tx_hash AND proofset_created = FALSE;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION scheduler.update_pdp_proofset_roots()
    RETURNS TRIGGER AS $$
BEGIN
    IF OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed') THEN
        UPDATE scheduler.pdp_proofset_root_adds
        SET add_message_ok = CASE
                                 WHEN NEW.tx_status = 'failed' OR NEW.tx_success = FALSE THEN FALSE
                                 WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = TRUE THEN TRUE
                                 ELSE add_message_ok
                             END
        WHERE add_message_hash = NEW.signed_tx_hash;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_insert
    AFTER INSERT ON scheduler.pdp_proofset_roots
    FOR EACH ROW
    WHEN (NEW.pdp_piece_ref_id IS NOT NULL)
EXECUTE FUNCTION scheduler.increment_proofset_refcount();
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_delete
    AFTER DELETE ON scheduler.pdp_proofset_roots
    FOR EACH ROW
    WHEN (OLD.pdp_piece_ref_id IS NOT NULL)
EXECUTE FUNCTION scheduler.decrement_proofset_refcount();
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_update
    AFTER UPDATE ON scheduler.pdp_proofset_roots
    FOR EACH ROW
EXECUTE FUNCTION scheduler.adjust_proofset_refcount_on_update();
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_create_message_status_change
    AFTER UPDATE OF tx_status, tx_success ON scheduler.message_waits_eth
    FOR EACH ROW
EXECUTE FUNCTION scheduler.update_pdp_proofset_creates();
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_add_message_status_change
    AFTER UPDATE OF tx_status, tx_success ON scheduler.message_waits_eth
    FOR EACH ROW
EXECUTE FUNCTION scheduler.update_pdp_proofset_roots();
--> statement-breakpoint
COMMENT ON COLUMN scheduler.task.initiated_by IS 'The task ID whose completion occasioned this task';
--> statement-breakpoint
COMMENT ON COLUMN scheduler.task.update_time IS 'When it was last modified. not a heartbeat';
--> statement-breakpoint
COMMENT ON COLUMN scheduler.task.session_id IS 'may be null if not yet taken';
--> statement-breakpoint
COMMENT ON COLUMN scheduler.task.name IS 'The name of the task type';
--> statement-breakpoint
COMMENT ON COLUMN scheduler.task_history.result IS 'Use to determine if this was a successful run.';
