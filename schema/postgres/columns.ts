/** Postgres column types drizzle-orm does not ship, or ships with a different default mode than we want. */
import { bigint, bigserial, customType, timestamp } from 'drizzle-orm/pg-core';

export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

/** GORM time.Time and the queue timestamps: timestamptz, read as Date. */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** bigint/bigserial read as JS numbers: ids and epoch seconds stay far below 2^53. */
export const int64 = (name: string) => bigint(name, { mode: 'number' });
export const serial64 = (name: string) => bigserial(name, { mode: 'number' });
