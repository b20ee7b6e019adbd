/**
 * The package's public surface, as the TypeScript compiler sees the three entries: exactly the names listed here,
 * each with a doc comment, none of the SQL layer. Adding or removing a public name means editing this list.
 * Namespace exports (the queue stores' tables) are followed one level, so `replicator.jobqueue` counts as a name.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const ENTRIES = {
  'piri-db': 'src/index.ts',
  'piri-db/schema/sqlite': 'schema/sqlite/index.ts',
  'piri-db/schema/postgres': 'schema/postgres/index.ts',
} as const;
type Entry = keyof typeof ENTRIES;

const ROOT_EXPORTS = [
  // configuration and opening an installation
  'loadConfig', 'Config', 'DatabaseConfig', 'LoadConfigOptions', 'PostgresConfig',
  'openDatabases', 'Databases', 'DatabasesOn', 'OpenOptions', 'SchedulerStore', 'Store', 'StoreDatabase',
  'ManualClock', 'systemClock', 'Clock', 'Services',
  'STORES', 'STORE_NAMES', 'Dialect', 'QueueDefinition', 'StoreDefinition', 'StoreName',
  // queues
  'DedupQueueOverrides', 'QueueOverrides',
  'Claim', 'DeadLetter', 'DeadLetterFilter', 'DeadLetterInput', 'DeadLetterReason', 'DedupeSettings',
  'DedupQueueSettings', 'QueueSettings', 'QueueStats', 'QueueStore', 'ReceivedMessage', 'SendOptions',
  'MAX_BODY_BYTES', 'MAX_NAME_BYTES', 'Watch', 'Watcher',
  'decodeEnvelope', 'encodeEnvelope', 'EnvelopeError', 'Envelope', 'EnvelopeTrace',
  // the job runtime
  'createJobQueue', 'DEFAULT_STOP_TIMEOUT_MS', 'EnqueueOptions', 'JobQueue', 'RegisterOptions', 'StopOptions',
  'FailureHandler', 'JobContext', 'JobHandler',
  'JobEvent', 'JobQueueEventName', 'JobQueueEvents', 'JobQueueListener', 'JobQueueOptions',
  'DEFAULT_BACKOFF', 'backoffDelay', 'BackoffOptions',
  'isPermanentError', 'JobQueueStateError', 'PermanentError', 'StopTimeoutError',
  'JobQueueLogger', 'LogFields', 'DEFAULT_SHUTDOWN_BUDGET_MS', 'ShutdownOptions', 'stopOnSignals',
  // the task engine and retention
  'TaskDeferred', 'TaskEngineError', 'TaskEngineErrorCode', 'LockRetryOptions',
  'DEFAULT_PRUNE_BATCH_SIZE', 'pruneScheduler', 'PruneSchedulerOptions', 'PruneSchedulerResult',
  'AddTaskExtra', 'AddTaskResult', 'FinishEffect', 'LapsedSessions', 'StopResult', 'TaskEngine', 'TaskEngineEvent',
  'TaskEngineOptions', 'TaskEngineState', 'MAX_TASK_NAME_LENGTH', 'TaskContext', 'TaskResult', 'TaskType',
  'SchedulerDatabase', 'SchedulerSource', 'SchedulerTx',
  // the PDP flows and the rows they return
  'pdpFlows', 'PdpFlows', 'PdpOptions', 'PdpError', 'PdpErrorCode',
  'PDP_INIT_PP_TASK', 'PDP_PROVE_TASK', 'PDP_PROVING_PERIOD_TASK', 'PIRI_SERVICE', 'SEND_TRANSACTION_TASK',
  'PdpMessages', 'Confirmation', 'NonceLockResult', 'SendRequest', 'SendStatus', 'SignedSend', 'Signer', 'WATCH_LIMIT',
  'PdpPieces', 'AllocateUploadRequest', 'ParkedPiece', 'ParkPieceRequest',
  'PdpProofSets', 'MaterialiseProofSetResult', 'ProofSetCreateStatus',
  'PdpProviders', 'PaymentWaitCheck', 'PaymentWaitStatus',
  'PdpProving', 'ProofSetState', 'RootCleanup', 'ScheduledProve',
  'PdpRoots', 'RootDuplicates', 'RootRequest', 'SubrootRequest',
  'CommpEntry', 'MessageSendRow', 'MessageWaitRow', 'ParkedPieceRefRow', 'ParkedPieceRow', 'PieceRefRow',
  'PieceUploadRow', 'ProofSetCreateRow', 'ProofSetRow', 'ProviderRegistrationRow', 'RailSettlementWaitRow',
  'RootMessage', 'RootRow', 'SubrootPiece', 'WaitConfirmation', 'WithdrawalWaitRow',
  // operations
  'installationStatus', 'InstallationStatus', 'StoreStatus', 'TableStatus',
  'copyInstallation', 'CopyOptions', 'CopyReport',
  'backupInstallation', 'BackupOptions', 'BackupReport', 'BackupManifest', 'BackupMethod',
  'restoreInstallation', 'RestoreOptions', 'RestoreReport',
  'adoptInstallation', 'AdoptOptions', 'AdoptReport', 'AdoptedTable', 'StoreAdoption',
  'queueStats', 'listDeadLetters', 'requeueDeadLetters', 'purgeDeadLetters',
  'QueueSelection', 'DeadLetterSelection', 'PurgeSelection', 'QueueOperationOptions',
  'QueueStatsReport', 'QueueStatsEntry', 'DeadLetterReport', 'DeadLetterEntry', 'DeadLetterActionReport',
  'runDoctor', 'CheckStatus', 'DoctorCheck', 'DoctorOptions', 'DoctorReport',
  'Progress', 'ProgressListener', 'TableReport',
  // errors
  'PiriDbError', 'PiriDbErrorCode', 'BackendMismatchError', 'ConfigError', 'DataDirLockedError', 'MarkerError',
  'MigrationError', 'OperationError', 'QueueError',
];

const SCHEDULER_TABLES = [
  'task', 'taskHistory', 'taskEngineSessions',
  'parkedPieces', 'parkedPieceRefs', 'pdpPieceUploads', 'pdpPiecerefs', 'pdpPieceMhToCommp',
  'pdpProofSets', 'pdpProveTasks', 'pdpProofsetCreates', 'pdpProofsetRoots', 'pdpProofsetRootAdds',
  'pdpProviderRegistrations', 'messageWaitsEth', 'messageSendsEth', 'messageSendEthLocks',
  'railSettlementWaits', 'withdrawalWaits',
];
const QUEUE_TABLES = {
  replicator: ['jobqueue', 'jobqueueDead'],
  egressTracker: ['jobqueue', 'jobqueueDead'],
  aggregator: ['jobqueue', 'jobqueueDead', 'queues', 'jobNs', 'jobs', 'jobDone', 'jobDead'],
};
// On Postgres each store's tables live in its own pgSchema, which is exported next to them.
const queueNamespaces = (withSchema: boolean) =>
  Object.entries(QUEUE_TABLES).flatMap(([ns, tables]) => [
    ns,
    ...(withSchema ? [`${ns}.${ns}Schema`] : []),
    ...tables.map((table) => `${ns}.${table}`),
  ]);

const EXPECTED: Record<Entry, readonly string[]> = {
  'piri-db': ROOT_EXPORTS,
  'piri-db/schema/sqlite': [...SCHEDULER_TABLES, ...queueNamespaces(false)],
  'piri-db/schema/postgres': ['schedulerSchema', ...SCHEDULER_TABLES, ...queueNamespaces(true)],
};

/** The SQL layer and other helpers the entries once leaked: they stay importable from their modules, not the package. */
const INTERNAL = [
  'schedulerSql', 'SchedulerSql', 'SchedulerErrorKind', 'TaskOps', 'TaskHistoryOps', 'SessionOps', 'MessageSendOps',
  'MessageSendLockOps', 'MessageWaitOps', 'ProofSetCreateOps', 'ProofSetOps', 'ProveTaskOps', 'PieceCommpOps',
  'ParkedPieceOps', 'ParkedPieceRefOps', 'PieceRefOps', 'PieceUploadOps', 'RootOps', 'RootAddOps',
  'ProviderRegistrationOps', 'RailSettlementWaitOps', 'WithdrawalWaitOps', 'TaskCursor', 'ClaimCandidate', 'OwnedTask',
  'TaskHistoryRow', 'MessageSendInsert', 'RootAddRow', 'PdpContext', 'uuidv7', 'sendStatusOf', 'confirmationOfWait',
];

interface PublicName {
  readonly name: string;
  readonly doc: string;
}

function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  if (target.flags & ts.SymbolFlags.ValueModule) {
    // `export * as ns from` resolves to a module; its comment is the one on the export statement.
    const statement = symbol.declarations?.find(ts.isNamespaceExport)?.parent;
    const docs = statement ? ts.getJSDocCommentsAndTags(statement).filter(ts.isJSDoc) : [];
    return docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n').trim();
  }
  return ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
}

function publicNames(): Record<Entry, PublicName[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  const files = Object.values(ENTRIES).map((file) => join(ROOT, file));
  const program = ts.createProgram(files, config.options);
  const checker = program.getTypeChecker();
  const result = {} as Record<Entry, PublicName[]>;
  for (const [entry, file] of Object.entries(ENTRIES) as [Entry, string][]) {
    const names: PublicName[] = [];
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, file))!)!;
    for (const symbol of checker.getExportsOfModule(module)) {
      names.push({ name: symbol.name, doc: docOf(symbol, checker) });
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      if (target.flags & ts.SymbolFlags.ValueModule) {
        for (const member of checker.getExportsOfModule(target)) {
          names.push({ name: `${symbol.name}.${member.name}`, doc: docOf(member, checker) });
        }
      }
    }
    result[entry] = names;
  }
  return result;
}

describe('public API', () => {
  // One program for the three entries: building it is most of this file's time.
  const actual = publicNames();

  for (const entry of Object.keys(ENTRIES) as Entry[]) {
    it(`${entry} exports exactly the listed names`, () => {
      expect(actual[entry].map((n) => n.name).sort()).toEqual([...EXPECTED[entry]].sort());
    });

    it(`${entry}: every export has a doc comment`, () => {
      expect(actual[entry].filter((n) => n.doc === '').map((n) => n.name)).toEqual([]);
    });

    it(`${entry} leaks none of the SQL layer`, () => {
      const names = new Set(actual[entry].map((n) => n.name));
      expect(INTERNAL.filter((name) => names.has(name))).toEqual([]);
    });
  }
});
