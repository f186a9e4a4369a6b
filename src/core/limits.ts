/**
 * The bounds the command line checks while it parses, in a module of their own: the code that enforces them
 * (the bootstrap, the states, the worker threads) loads only when a command uses it.
 *
 * @module
 */

/** The largest seed `createRandom` takes (seeds are integers 0..2^53 - 1). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Largest number of resamples taken. */
export const MAX_RESAMPLES = 1_000_000;

/** The most rows `makeDemoData` makes: 100M (4 GB of float32 logits, 100 MB of labels). */
export const MAX_DEMO_ROWS = 100_000_000;

/** `--rows-of`'s most rows listed per cell (`--rows-limit`): each is kept in memory until the end. */
export const MAX_ROWS_LIMIT = 1_000_000;

/** The most worker threads a counter starts (each has its own slots in one 4 GiB WebAssembly memory). */
export const MAX_WORKER_THREADS = 256;

/** The most shards a split may have (`--shard i/n`, a state's `shards.count`): 2^20. */
export const MAX_SHARDS = 2 ** 20;

/**
 * The most bytes the host's C x C matrix of float64 counts may take: 4 GiB, so C <= 23170.
 *
 * @example
 * Math.floor(Math.sqrt(MAX_HOST_MATRIX_BYTES / 8)); // 23170, the largest C accepted
 */
export const MAX_HOST_MATRIX_BYTES = 2 ** 32;

/** The largest C of a state: C x C float64 counts fit `MAX_HOST_MATRIX_BYTES` (23170). */
export const MAX_STATE_CLASSES = Math.floor(Math.sqrt(MAX_HOST_MATRIX_BYTES / 8));

/**
 * The most classes per-class mode takes: 2^24 (keys `true * C + pred` stay below 2^48).
 *
 * @example
 * MAX_PER_CLASS_CLASSES; // 16777216
 */
export const MAX_PER_CLASS_CLASSES = 2 ** 24;
