package durable

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnqueueTx: a delivery enqueued in the host's transaction exists once
// the transaction commits, and never if it rolls back (the outbox pattern).
func TestEnqueueTx(t *testing.T) {
	rcv := newReceiver(t, 200)
	q := openSQLiteT(t, "", fastConfig())
	ctx := context.Background()
	db := q.DB()
	_, err := db.ExecContext(ctx, `CREATE TABLE approval (id INTEGER PRIMARY KEY, delivery INTEGER)`)
	require.NoError(t, err)

	approve := func(commit bool) int64 {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		id, err := q.EnqueueTx(ctx, tx, fastPush(rcv.URL, 3), order)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, `INSERT INTO approval (delivery) VALUES (?)`, id)
		require.NoError(t, err)
		if commit {
			require.NoError(t, tx.Commit())
		} else {
			require.NoError(t, tx.Rollback())
		}
		return id
	}
	approve(false)
	committed := approve(true)
	startT(t, q)
	waitState(t, q, committed, StateDelivered, 10*time.Second)
	time.Sleep(50 * time.Millisecond) // a rolled-back delivery would be sent now
	assert.Equal(t, 1, rcv.requests())
	var approvals, jobs int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM approval`).Scan(&approvals))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM river_job`).Scan(&jobs))
	assert.Equal(t, 1, approvals)
	assert.Equal(t, 1, jobs)

	_, err = q.EnqueuePgxTx(ctx, nil, fastPush(rcv.URL, 3), order)
	assert.EqualError(t, err, "httpstep: durable: EnqueuePgxTx needs a Queue from OpenPostgres")
}
