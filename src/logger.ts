/** What identifies a log line's subject: queue, job name, message id. Never payloads, since they may carry user data. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Where the runtime reports what it cannot return to a caller (failed jobs, failed writes); the default writes one
 * line per call to stderr. Plug in the application's logger here.
 */
export interface JobQueueLogger {
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}

/** One line per event on stderr: `piri-db queue warn: <message> {"queue":"replication",...}`. */
export const consoleLogger: JobQueueLogger = {
  warn: (message, fields) => console.error(`piri-db queue warn: ${message} ${JSON.stringify(fields)}`),
  error: (message, fields) => console.error(`piri-db queue error: ${message} ${JSON.stringify(fields)}`),
};
