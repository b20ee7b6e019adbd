/**
 * The parameters Piri's plain queues run with (spec section 4.8, replication queue), shared by the raw peers so they
 * execute Piri's statements under Piri's settings.
 */
export const QUEUE_NAME = 'bench';
/** Visibility window a receive sets (MaxTimeout). */
export const VISIBILITY_MS = 5_000;
/** Deliveries allowed per message (MaxRetries, which counts deliveries). */
export const MAX_RECEIVE = 10;
