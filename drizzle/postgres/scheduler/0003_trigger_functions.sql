-- Piri (v0.2.4) runs its trigger script on every start, under search_path=scheduler: `CREATE OR REPLACE FUNCTION`
-- of its five trigger functions with unqualified table names (piri-data-model.md §6.3). Sharing those names, it
-- replaced the bodies of piri-db's functions, and then every trigger fired from a piri-db connection (which sets
-- no search_path) failed with `relation "pdp_proofset_root_adds" does not exist`. A function-level SET
-- search_path would not survive it either: CREATE OR REPLACE resets every attribute it does not state.
-- So the triggers now execute functions of piri-db's own names, which Piri's script never touches; Piri's
-- DO block finds the five triggers by name and leaves them, so a Piri process on this database runs these
-- functions too (same behaviour as its own). The old functions are dropped; Piri's script recreates them
-- under their names, unused.
CREATE FUNCTION scheduler.piri_db_increment_proofset_refcount()
    RETURNS TRIGGER AS $$
BEGIN
    UPDATE scheduler.pdp_piecerefs
    SET proofset_refcount = proofset_refcount + 1
    WHERE id = NEW.pdp_piece_ref_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE FUNCTION scheduler.piri_db_decrement_proofset_refcount()
    RETURNS TRIGGER AS $$
BEGIN
    UPDATE scheduler.pdp_piecerefs
    SET proofset_refcount = proofset_refcount - 1
    WHERE id = OLD.pdp_piece_ref_id;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE FUNCTION scheduler.piri_db_adjust_proofset_refcount_on_update()
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
CREATE FUNCTION scheduler.piri_db_update_pdp_proofset_creates()
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
CREATE FUNCTION scheduler.piri_db_update_pdp_proofset_roots()
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
DROP TRIGGER pdp_proofset_root_insert ON scheduler.pdp_proofset_roots;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_insert
    AFTER INSERT ON scheduler.pdp_proofset_roots
    FOR EACH ROW
    WHEN (NEW.pdp_piece_ref_id IS NOT NULL)
EXECUTE FUNCTION scheduler.piri_db_increment_proofset_refcount();
--> statement-breakpoint
DROP TRIGGER pdp_proofset_root_delete ON scheduler.pdp_proofset_roots;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_delete
    AFTER DELETE ON scheduler.pdp_proofset_roots
    FOR EACH ROW
    WHEN (OLD.pdp_piece_ref_id IS NOT NULL)
EXECUTE FUNCTION scheduler.piri_db_decrement_proofset_refcount();
--> statement-breakpoint
DROP TRIGGER pdp_proofset_root_update ON scheduler.pdp_proofset_roots;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_update
    AFTER UPDATE ON scheduler.pdp_proofset_roots
    FOR EACH ROW
EXECUTE FUNCTION scheduler.piri_db_adjust_proofset_refcount_on_update();
--> statement-breakpoint
DROP TRIGGER pdp_proofset_create_message_status_change ON scheduler.message_waits_eth;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_create_message_status_change
    AFTER UPDATE OF tx_status, tx_success ON scheduler.message_waits_eth
    FOR EACH ROW
EXECUTE FUNCTION scheduler.piri_db_update_pdp_proofset_creates();
--> statement-breakpoint
DROP TRIGGER pdp_proofset_add_message_status_change ON scheduler.message_waits_eth;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_add_message_status_change
    AFTER UPDATE OF tx_status, tx_success ON scheduler.message_waits_eth
    FOR EACH ROW
EXECUTE FUNCTION scheduler.piri_db_update_pdp_proofset_roots();
--> statement-breakpoint
DROP FUNCTION scheduler.increment_proofset_refcount();
--> statement-breakpoint
DROP FUNCTION scheduler.decrement_proofset_refcount();
--> statement-breakpoint
DROP FUNCTION scheduler.adjust_proofset_refcount_on_update();
--> statement-breakpoint
DROP FUNCTION scheduler.update_pdp_proofset_creates();
--> statement-breakpoint
DROP FUNCTION scheduler.update_pdp_proofset_roots();
