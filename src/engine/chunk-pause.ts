/**
 * What result writers do between chunks. Evaluation is synchronous between chunks, so on a thread
 * that serves others (the main thread) they let other work, and cancellation, have a turn. A query
 * worker runs one query and is stopped by terminating it: it passes `keepGoing`, because a macrotask
 * there also ends lmdb-js's current read transaction, and every later range read of the query then
 * opens and closes a cursor of its own (storage/lmdb: rangeTxn), which made results of thousands of
 * rows slower over HTTP than in-process.
 */
export type ChunkPause = () => Promise<void>;
export const yieldToLoop: ChunkPause = () => new Promise((resolve) => setImmediate(resolve));
export const keepGoing: ChunkPause = () => Promise.resolve();
