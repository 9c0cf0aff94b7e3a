// Package durable delivers httpstep nodes durably on River
// (github.com/riverqueue/river): every delivery is a job stored in a
// database, so pushes in flight survive deploys and crashes.
//
// OpenSQLite embeds the queue in one process on a SQLite file (pure Go, no
// cgo); OpenPostgres shares it between every process that opens the same
// PostgreSQL database, each delivery running in one process at a time.
//
// One delivery is one River job, and one job attempt is one HTTP attempt.
// The number of attempts and the wait between them come from the node's
// RetryPolicy ([httpstep.RetryPolicy.Next], Retry-After included), so the
// schedule is the one Execute follows in process; failures Next does not
// retry (blocked, tls, param, an invalid node, ...) cancel the job. The
// Idempotency-Key and webhook-id are made at Enqueue and stored with the
// job: every attempt, in whatever process, carries the same ones, so the
// receiver can deduplicate. Every attempt's record (redacted, as in
// process) is kept in the job, and Delivery returns them all.
//
// Secret and File values are never written to the database: Enqueue stores
// where they stood, and each attempt gets them again through Config.Secrets
// and Config.Files.
//
// A host that records something and must push it exactly when the record
// commits enqueues in the same transaction: EnqueueTx (SQLite, *sql.Tx) or
// EnqueuePgxTx (PostgreSQL, pgx.Tx). A rolled-back transaction sends
// nothing; a committed one is never lost.
//
// A node with a callback (httpstep.Callback) sends a one-use URL under
// Config.CallbackURL and waits, in state "waiting", for the API to call it:
// its River job completes and a row of the queue's httpstep_callback table
// plus a scheduled timeout job are all that holds it, so no worker or
// goroutine waits. CallbackHandler, mounted at that URL in any process on
// the database, applies the call once and makes its body the Delivery's
// Result.
package durable
