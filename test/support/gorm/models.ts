/**
 * Piri v0.2.4's 18 scheduler models (pkg/pdp/service/models/models.go), as GORM's schema parser sees them, written
 * from docs/data-model.md §6.1, §6.2 and Appendix A: per column the Go kind, `not null`, `default:` and
 * `primaryKey` tags and `size:`; per relation the FK name GORM derives (`fk_<table>_<relation field in snake_case>`)
 * and its OnDelete; the `uniqueIndex` tags. Column order is the struct's field order.
 */

/** The Go field kinds that occur, by the GORM data type they parse to. */
export type GoKind = 'int' | 'bool' | 'string' | 'time' | 'bytes' | 'json' | 'uuid';

export interface ModelField {
  readonly column: string;
  readonly kind: GoKind;
  readonly notNull?: boolean;
  /** The `default:` tag as written. */
  readonly default?: string;
  readonly primaryKey?: boolean;
  /** `size:n`; GORM also gives every 64-bit integer field size 64. */
  readonly size?: number;
}

export interface ModelRelation {
  readonly name: string;
  readonly column: string;
  readonly references: readonly [table: string, column: string];
  readonly onDelete: 'CASCADE' | 'SET NULL';
}

export interface ModelIndex {
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly string[];
}

export interface Model {
  readonly table: string;
  readonly fields: readonly ModelField[];
  readonly relations: readonly ModelRelation[];
  readonly indexes: readonly ModelIndex[];
}

const int = (column: string, tags: Omit<ModelField, 'column' | 'kind'> = {}): ModelField => ({ column, kind: 'int', size: 64, ...tags });
const f = (column: string, kind: GoKind, tags: Omit<ModelField, 'column' | 'kind'> = {}): ModelField => ({ column, kind, ...tags });
const NN = { notNull: true } as const;
const PK = { primaryKey: true } as const;
const fk = (table: string, relation: string, column: string, references: readonly [string, string], onDelete: ModelRelation['onDelete']): ModelRelation => ({
  name: `fk_${table}_${relation}`,
  column,
  references,
  onDelete,
});
const model = (table: string, fields: ModelField[], relations: (t: string) => ModelRelation[] = () => [], indexes: ModelIndex[] = []): Model => ({
  table,
  fields,
  relations: relations(table),
  indexes,
});

export const PIRI_MODELS: readonly Model[] = [
  model('task', [
    int('id', PK),
    int('initiated_by'),
    f('update_time', 'time', { ...NN, default: 'current_timestamp' }),
    f('posted_time', 'time', NN),
    f('session_id', 'string'),
    f('added_by', 'string', NN),
    int('previous_task'),
    f('name', 'string', { ...NN, size: 16 }),
    int('retries', NN),
  ]),
  model('task_history', [
    int('id', PK),
    int('task_id', NN),
    f('name', 'string', { ...NN, size: 16 }),
    f('posted', 'time', NN),
    f('work_start', 'time', NN),
    f('work_end', 'time', NN),
    f('result', 'bool', NN),
    f('err', 'string'),
    f('completed_by_session_id', 'string', { ...NN, size: 300 }),
  ]),
  model(
    'parked_pieces',
    [
      int('id', PK),
      f('created_at', 'time', { default: 'current_timestamp' }),
      f('piece_cid', 'string', NN),
      int('piece_padded_size', NN),
      int('piece_raw_size', NN),
      f('complete', 'bool', { ...NN, default: 'false' }),
      int('task_id'),
      int('cleanup_task_id'),
      f('long_term', 'bool', { ...NN, default: 'false' }),
    ],
    (t) => [fk(t, 'task', 'task_id', ['task', 'id'], 'SET NULL'), fk(t, 'cleanup_task', 'cleanup_task_id', ['task', 'id'], 'SET NULL')],
    [{ name: 'idx_piece_cid_padded_longterm_cleanup', unique: true, columns: ['piece_cid', 'piece_padded_size', 'cleanup_task_id', 'long_term'] }],
  ),
  model(
    'parked_piece_refs',
    [
      int('ref_id', PK),
      int('piece_id', NN),
      f('data_url', 'string'),
      f('data_headers', 'json', { ...NN, default: "'{}'" }),
      f('long_term', 'bool', { ...NN, default: 'false' }),
    ],
    (t) => [fk(t, 'parked_piece', 'piece_id', ['parked_pieces', 'id'], 'CASCADE')],
  ),
  model(
    'pdp_piece_uploads',
    [
      f('id', 'uuid', PK),
      f('service', 'string', NN),
      f('check_hash_codec', 'string', NN),
      f('check_hash', 'bytes', NN),
      int('check_size', NN),
      f('piece_cid', 'string'),
      f('notify_url', 'string', NN),
      int('notify_task_id'),
      int('piece_ref'),
      f('created_at', 'time', { ...NN, default: 'CURRENT_TIMESTAMP' }),
    ],
    (t) => [fk(t, 'parked_piece_ref', 'piece_ref', ['parked_piece_refs', 'ref_id'], 'SET NULL')],
  ),
  model(
    'pdp_piecerefs',
    [
      int('id', PK),
      f('service', 'string', NN),
      f('piece_cid', 'string', NN),
      int('piece_ref'),
      f('created_at', 'time', { ...NN, default: 'CURRENT_TIMESTAMP' }),
      int('proofset_refcount', { ...NN, default: '0' }),
    ],
    (t) => [fk(t, 'parked_piece_ref', 'piece_ref', ['parked_piece_refs', 'ref_id'], 'CASCADE')],
  ),
  model('pdp_piece_mh_to_commp', [f('mhash', 'bytes', PK), int('size', NN), f('commp', 'string', NN)]),
  model(
    'pdp_proof_sets',
    [
      int('id', PK),
      int('prev_challenge_request_epoch'),
      int('challenge_request_task_id'),
      f('challenge_request_msg_hash', 'string'),
      int('proving_period'),
      int('challenge_window'),
      int('prove_at_epoch'),
      f('init_ready', 'bool', { ...NN, default: 'false' }),
      f('create_message_hash', 'string', NN),
      f('service', 'string', NN),
    ],
    (t) => [fk(t, 'challenge_request_task', 'challenge_request_task_id', ['task', 'id'], 'SET NULL')],
  ),
  model('pdp_prove_tasks', [int('proofset_id', PK), int('task_id', PK)], (t) => [
    fk(t, 'proof_set', 'proofset_id', ['pdp_proof_sets', 'id'], 'CASCADE'),
    fk(t, 'prove_task', 'task_id', ['task', 'id'], 'CASCADE'),
  ]),
  model('message_waits_eth', [
    int('waiter_machine_id'),
    f('signed_tx_hash', 'string', { ...PK, ...NN }),
    int('confirmed_block_number'),
    f('confirmed_tx_hash', 'string'),
    f('confirmed_tx_data', 'json'),
    f('tx_status', 'string'),
    f('tx_receipt', 'json'),
    f('tx_success', 'bool'),
  ]),
  model(
    'pdp_proofset_creates',
    [
      f('create_message_hash', 'string', PK),
      f('ok', 'bool'),
      f('proofset_created', 'bool', { ...NN, default: 'false' }),
      f('service', 'string', NN),
      f('created_at', 'time', { ...NN, default: 'CURRENT_TIMESTAMP' }),
    ],
    (t) => [fk(t, 'message_wait', 'create_message_hash', ['message_waits_eth', 'signed_tx_hash'], 'CASCADE')],
  ),
  model(
    'pdp_proofset_roots',
    [
      int('proofset_id', PK),
      int('root_id', PK),
      int('subroot_offset', PK),
      f('root', 'string', NN),
      f('add_message_hash', 'string', NN),
      int('add_message_index'),
      f('subroot', 'string', NN),
      int('subroot_offset_val'),
      int('subroot_size'),
      int('pdp_piece_ref_id'),
    ],
    (t) => [
      fk(t, 'proof_set', 'proofset_id', ['pdp_proof_sets', 'id'], 'CASCADE'),
      fk(t, 'add_message_wait', 'add_message_hash', ['message_waits_eth', 'signed_tx_hash'], 'CASCADE'),
      fk(t, 'pdp_piece_ref', 'pdp_piece_ref_id', ['pdp_piecerefs', 'id'], 'SET NULL'),
    ],
  ),
  model(
    'pdp_proofset_root_adds',
    [
      int('proofset_id', PK),
      f('add_message_hash', 'string'),
      int('subroot_offset', PK),
      f('root', 'string', PK),
      f('add_message_ok', 'bool'),
      int('add_message_index'),
      f('subroot', 'string', NN),
      int('subroot_size'),
      int('pdp_piece_ref_id'),
    ],
    (t) => [
      fk(t, 'proof_set', 'proofset_id', ['pdp_proof_sets', 'id'], 'CASCADE'),
      fk(t, 'add_message_wait', 'add_message_hash', ['message_waits_eth', 'signed_tx_hash'], 'CASCADE'),
      fk(t, 'pdp_piece_ref', 'pdp_piece_ref_id', ['pdp_piecerefs', 'id'], 'SET NULL'),
    ],
  ),
  model(
    'pdp_provider_registrations',
    [
      f('register_message_hash', 'string', PK),
      f('ok', 'bool'),
      f('provider_registered', 'bool', { ...NN, default: 'false' }),
      int('provider_id'),
      f('service', 'string', NN),
      f('created_at', 'time', { ...NN, default: 'CURRENT_TIMESTAMP' }),
    ],
    (t) => [fk(t, 'message_wait', 'register_message_hash', ['message_waits_eth', 'signed_tx_hash'], 'CASCADE')],
  ),
  model('message_sends_eth', [
    f('from_address', 'string', NN),
    f('to_address', 'string', NN),
    f('send_reason', 'string', NN),
    int('send_task_id', PK),
    f('unsigned_tx', 'bytes', NN),
    f('unsigned_hash', 'string', NN),
    int('nonce'),
    f('signed_tx', 'bytes'),
    f('signed_hash', 'string'),
    f('send_time', 'time'),
    f('send_success', 'bool'),
    f('send_error', 'string'),
  ]),
  model('message_send_eth_locks', [f('from_address', 'string', { ...PK, ...NN }), int('task_id', NN), f('claimed_at', 'time', NN)]),
  model(
    'rail_settlement_waits',
    [f('rail_id', 'string', { ...PK, ...NN }), f('signed_tx_hash', 'string', NN), f('created_at', 'time')],
    () => [],
    [{ name: 'idx_rail_settlement_waits_signed_tx_hash', unique: true, columns: ['signed_tx_hash'] }],
  ),
  model(
    'withdrawal_waits',
    [int('id', PK), f('signed_tx_hash', 'string', NN), f('created_at', 'time')],
    () => [],
    [{ name: 'idx_withdrawal_waits_signed_tx_hash', unique: true, columns: ['signed_tx_hash'] }],
  ),
];
