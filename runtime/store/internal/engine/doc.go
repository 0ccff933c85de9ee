// Package engine is the storage algorithm of the executor, written once:
// recording outcomes, deciding dependents in waves, claiming, finishing
// executions, recovering stale claims, cancelling and pausing. Each storage
// backend is a dialect of it: it provides a Backend, which runs write
// transactions, and a Tx, the statements of one transaction. Engine turns
// them into the write half of store.Store; a backend adds the reads.
//
// # What a backend provides
//
// Backend.Write runs one operation in a write transaction and commits it.
// How is the backend's business: SQLite serialises writers on one
// connection and commits several operations together; PostgreSQL pipelines
// statements and sends COMMIT with the last batch. A backend may run an
// operation again from the start after a failure that stored nothing (a
// deadlock, a dropped connection), so operations keep no state across runs.
//
// Tx is a fixed set of set-oriented statements, each described by its
// method: which rows it touches, which it returns, how it is guarded. The
// engine never asks for a statement per row. Methods that return nothing
// may be deferred by the backend and sent with the next statement that
// returns rows, or with Finish; their output fields (such as ExecRow's
// CreatedAt) are set once Write returns. Methods that return rows run
// after every deferred statement before them. Finish is the last call of
// every operation.
//
// A backend also maps its library's errors to the store's sentinels
// (store.ErrDuplicateID for a taken execution id), keeps to the lock order
// below, and computes times from the transaction's now (the caller's Now,
// or the backend's clock when that is zero).
//
// # Lock order
//
// Operations touch task rows before execution rows, task rows in id order
// and execution rows in id order. The engine sorts what it passes (by
// execution, then task id); a backend whose database locks rows (PostgreSQL)
// locks them in that order within each statement, and skips locked rows
// where it can do without them (claims, heartbeats, stale sweeps). That
// keeps deadlocks to the rare crossing of a cancellation with a completion
// in the same execution; a backend runs an operation the database aborted
// for a deadlock again.
package engine
