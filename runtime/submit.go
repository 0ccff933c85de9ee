package runtime

import (
	"context"
	"sync"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// submissions lets concurrent ExecuteMany and ExecuteAsync calls share one
// transaction, and so one commit: while a call's transaction is in flight,
// the calls that arrive queue up, and when it commits the first of them
// stores every queued execution at once. A call that finds no transaction
// in flight starts its own at once, so a lone caller never waits for
// company. No goroutine is involved: the calling goroutines take turns.
type submissions struct {
	mu    sync.Mutex
	busy  bool          // a call is storing a batch
	queue []*submission // calls waiting for the next batch, oldest first
}

// submission is one call's executions and, once its batch is stored or has
// failed, its outcome.
type submission struct {
	news []*store.NewExecution
	wake chan struct{} // closed when res and err are set or the call is to lead
	lead bool          // the call is to store the next batch itself
	res  []*store.Execution
	err  error
}

// create stores news with save, alone or in one transaction with those of
// other concurrent calls, and returns once they are stored, with what save
// returned for them, in order. Every execution of one call is stored in the
// same transaction, so a call's executions are stored all or none.
func (s *submissions) create(ctx context.Context, news []*store.NewExecution,
	save func(context.Context, []*store.NewExecution) ([]*store.Execution, error)) ([]*store.Execution, error) {
	me := &submission{news: news, wake: make(chan struct{})}
	s.mu.Lock()
	s.queue = append(s.queue, me)
	if s.busy {
		s.mu.Unlock()
		<-me.wake // the batch in flight is bounded by the store's own timeouts
		if !me.lead {
			return me.res, me.err
		}
		s.mu.Lock()
	}
	s.busy = true
	batch := s.queue
	s.queue = nil
	s.mu.Unlock()

	all := news
	bctx := ctx
	if len(batch) > 1 {
		all = nil
		for _, sub := range batch {
			all = append(all, sub.news...)
		}
		// Others' executions ride on this transaction: this call's context
		// ending must not fail them.
		bctx = context.WithoutCancel(ctx)
	}
	res, err := save(bctx, all)
	off := 0
	for _, sub := range batch {
		if err == nil {
			sub.res = res[off : off+len(sub.news)]
		}
		off += len(sub.news)
		if sub != me {
			sub.err = err
			close(sub.wake)
		}
	}

	s.mu.Lock()
	if len(s.queue) > 0 {
		next := s.queue[0]
		next.lead = true
		close(next.wake)
	} else {
		s.busy = false
	}
	s.mu.Unlock()
	return me.res, err
}
