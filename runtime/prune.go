package runtime

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Defaults of Retention.
const (
	DefaultPruneInterval  = time.Hour
	DefaultPruneBatchSize = 500
)

// pruneLease is the lease that keeps pruning to one runner at a time.
const pruneLease = "pruner"

// pruneLoop is the pruner: at start and then every Interval (on the
// runner's clock) it takes the pruning lease and, if it holds it, deletes
// what the retention says is old. It is owned by the runner and exits when
// Shutdown stops the background work.
func (r *Runner) pruneLoop(rt *Retention) {
	defer r.bg.Done()
	interval := cmp.Or(rt.Interval, DefaultPruneInterval)
	timer := r.cfg.Clock.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-r.bgCtx.Done():
			return
		case <-timer.C():
		}
		r.pruneOnce(rt, interval)
		timer.Reset(interval)
	}
}

// pruneOnce runs one pass of the pruner. The lease outlasts the interval,
// so its holder keeps it from pass to pass; another runner takes over once
// the holder has missed a pass.
func (r *Runner) pruneOnce(rt *Retention, interval time.Duration) {
	ctx := r.bgCtx
	held, err := r.store.AcquireLease(ctx, &store.LeaseParams{Name: pruneLease, Owner: r.id, TTL: 2 * interval})
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("pruner could not take its lease; trying again at the next interval", "error", err)
		}
		return
	}
	if !held {
		return
	}
	now := r.cfg.Clock.Now()
	total := 0
	for _, k := range []struct {
		state store.ExecutionState
		age   time.Duration
	}{{store.ExecutionCompleted, rt.Completed}, {store.ExecutionFailed, rt.Failed}, {store.ExecutionCancelled, rt.Cancelled}} {
		if k.age <= 0 {
			continue
		}
		n, err := r.purge(ctx, []store.ExecutionState{k.state}, now.Add(-k.age), rt.BatchSize)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("pruning old executions failed; trying again at the next interval", "status", string(k.state), "error", err)
			}
			break
		}
	}
	level := slog.LevelInfo
	if total == 0 {
		level = slog.LevelDebug
	}
	r.log.Log(ctx, level, "pruned old executions", "deleted", total)
}

// purge deletes executions in states that ended before the time, a
// batch per transaction, until none is left.
func (r *Runner) purge(ctx context.Context, states []store.ExecutionState, before time.Time, batch int) (int, error) {
	batch = cmp.Or(batch, DefaultPruneBatchSize)
	total := 0
	for {
		n, err := r.store.PurgeExecutions(ctx, &store.PurgeParams{RunnerID: r.id, States: states, CompletedBefore: before, Limit: batch})
		total += n
		if err != nil {
			return total, r.closedErr(err)
		}
		if n < batch {
			return total, nil
		}
	}
}
