/**
 * What Piri v0.2.4 runs on its scheduler database at every start after AutoMigrate, on Postgres (its
 * triggers.postgres.sql, one Exec, on a pool whose search_path is `scheduler` only), written from
 * docs/data-model.md §3.2, §3.3 and §6.3: five `CREATE OR REPLACE FUNCTION`s whose bodies name tables unqualified,
 * then a DO block that creates each trigger only when no trigger of that name exists on a relation of that name,
 * in any schema.
 */
const refcount = (name: string, row: 'NEW' | 'OLD', delta: '+' | '-') => `
CREATE OR REPLACE FUNCTION ${name}() RETURNS TRIGGER AS $$
BEGIN
    UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount ${delta} 1 WHERE id = ${row}.pdp_piece_ref_id;
    RETURN ${row};
END;
$$ LANGUAGE plpgsql;`;

const statusChange = (name: string, table: string, column: string, where: string) => `
CREATE OR REPLACE FUNCTION ${name}() RETURNS TRIGGER AS $$
BEGIN
    IF OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed') THEN
        UPDATE ${table}
        SET ${column} = CASE
            WHEN NEW.tx_status = 'failed' OR NEW.tx_success = FALSE THEN FALSE
            WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = TRUE THEN TRUE
            ELSE ${column}
        END
        WHERE ${where};
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;`;

const createIfMissing = (trigger: string, table: string, definition: string) => `
    IF NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON t.tgrelid = c.oid
                   WHERE t.tgname = '${trigger}' AND c.relname = '${table}') THEN
        CREATE TRIGGER ${trigger} ${definition};
    END IF;`;

export const PIRI_POSTGRES_TRIGGER_SCRIPT = `
${refcount('increment_proofset_refcount', 'NEW', '+')}
${refcount('decrement_proofset_refcount', 'OLD', '-')}
CREATE OR REPLACE FUNCTION adjust_proofset_refcount_on_update() RETURNS TRIGGER AS $$
BEGIN
    IF OLD.pdp_piece_ref_id IS DISTINCT FROM NEW.pdp_piece_ref_id THEN
        IF OLD.pdp_piece_ref_id IS NOT NULL THEN
            UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount - 1 WHERE id = OLD.pdp_piece_ref_id;
        END IF;
        IF NEW.pdp_piece_ref_id IS NOT NULL THEN
            UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount + 1 WHERE id = NEW.pdp_piece_ref_id;
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
${statusChange('update_pdp_proofset_creates', 'pdp_proofset_creates', 'ok', 'create_message_hash = NEW.signed_tx_hash AND proofset_created = FALSE')}
${statusChange('update_pdp_proofset_roots', 'pdp_proofset_root_adds', 'add_message_ok', 'add_message_hash = NEW.signed_tx_hash')}
DO $$
BEGIN
${createIfMissing('pdp_proofset_root_insert', 'pdp_proofset_roots', 'AFTER INSERT ON pdp_proofset_roots FOR EACH ROW WHEN (NEW.pdp_piece_ref_id IS NOT NULL) EXECUTE FUNCTION increment_proofset_refcount()')}
${createIfMissing('pdp_proofset_root_delete', 'pdp_proofset_roots', 'AFTER DELETE ON pdp_proofset_roots FOR EACH ROW WHEN (OLD.pdp_piece_ref_id IS NOT NULL) EXECUTE FUNCTION decrement_proofset_refcount()')}
${createIfMissing('pdp_proofset_root_update', 'pdp_proofset_roots', 'AFTER UPDATE ON pdp_proofset_roots FOR EACH ROW EXECUTE FUNCTION adjust_proofset_refcount_on_update()')}
${createIfMissing('pdp_proofset_create_message_status_change', 'message_waits_eth', 'AFTER UPDATE OF tx_status, tx_success ON message_waits_eth FOR EACH ROW EXECUTE FUNCTION update_pdp_proofset_creates()')}
${createIfMissing('pdp_proofset_add_message_status_change', 'message_waits_eth', 'AFTER UPDATE OF tx_status, tx_success ON message_waits_eth FOR EACH ROW EXECUTE FUNCTION update_pdp_proofset_roots()')}
END $$;
`;
