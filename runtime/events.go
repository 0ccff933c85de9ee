package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// ErrSubscriptionClosed is returned by Subscription.Next after Close.
var ErrSubscriptionClosed = errors.New("subscription closed")

// ErrUnknownCursor is wrapped by the error of a Subscribe from a cursor
// past the end of the database's event log: one no event of the log has
// reached, so it was read from another database or mistyped, and a
// subscription from it would wait without end for events it skips.
var ErrUnknownCursor = errors.New("cursor past the end of the event log")

// Cursor is a position in the event log, shared by every process on the
// database: a subscription started from it returns the events after it.
// The zero Cursor is the start of the log. Its text form (String,
// MarshalText) can be stored and parsed back with ParseCursor, so a
// follower can resume where it stopped.
type Cursor struct{ c store.Cursor }

// String returns the cursor's text form, such as "0-42".
func (c Cursor) String() string {
	return strconv.FormatUint(c.c.Tx, 10) + "-" + strconv.FormatInt(c.c.ID, 10)
}

// IsZero reports whether c is the start of the log.
func (c Cursor) IsZero() bool { return c.c == store.Cursor{} }

// MarshalText implements encoding.TextMarshaler.
func (c Cursor) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Cursor) UnmarshalText(b []byte) error {
	p, err := ParseCursor(string(b))
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// ParseCursor reads a cursor's text form. The empty string is the start of
// the log.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	txs, ids, ok := strings.Cut(s, "-")
	tx, err1 := strconv.ParseUint(txs, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if !ok || err1 != nil || err2 != nil || id < 0 {
		return Cursor{}, fmt.Errorf("cursor %q: want two numbers joined by a dash, such as \"0-42\", as Cursor.String writes", s)
	}
	return Cursor{store.Cursor{Tx: tx, ID: id}}, nil
}

// EventFilter says which events a subscription returns. The zero value
// follows every event of the runner's tenant from the start of the log.
type EventFilter struct {
	// ExecutionID keeps only the events of one execution.
	ExecutionID string
	// Workflow keeps only the events of one workflow's executions.
	Workflow string
	// From resumes after this position (an Event's Cursor, or one saved
	// with Cursor.String); the zero Cursor starts at the start of the log.
	From Cursor
	// FromNow starts at the end of the log instead of From: only events
	// appended from now on are returned.
	FromNow bool
	// UntilEnd, with ExecutionID, ends the subscription after the
	// execution's last event (its completion, failure or cancellation):
	// Next then returns io.EOF.
	UntilEnd bool

	runnerID string // events appended by this runner (the event hooks' feed)
}

// Subscribe follows the event log: the returned subscription's Next
// returns each event the filter keeps, in log order, as soon as it is
// stored, whichever process stored it. It is woken at once by this
// runner's own writes and, on PostgreSQL, by the notifications of every
// other runner; the commits of other processes sharing a SQLite file are
// seen within a tenth of a second. Its cursor is durable: a subscription
// started From an event's Cursor, in this process or another, after a
// restart or a lost connection, returns exactly the events after it.
//
// A filter on an ExecutionID no execution has fails with an error
// wrapping ErrExecutionNotFound, and a From cursor past the end of the
// log with one wrapping ErrUnknownCursor. ctx bounds only the start
// (reading the end of the log, and the execution).
// Close the subscription when done with it; it also ends when the runner
// shuts down.
func (r *Runner) Subscribe(ctx context.Context, f EventFilter) (*Subscription, error) {
	if f.UntilEnd && f.ExecutionID == "" {
		return nil, errors.New("subscribe: EventFilter.UntilEnd needs an ExecutionID")
	}
	if r.isClosed() {
		return nil, ErrRunnerClosed
	}
	if f.ExecutionID != "" {
		// An unknown id would be followed forever, waiting for events
		// that never come.
		if _, err := r.store.GetExecution(ctx, f.ExecutionID); err != nil {
			return nil, fmt.Errorf("subscribe: %w", r.storeErr(err))
		}
	}
	if !f.FromNow {
		if !f.From.IsZero() {
			bound, err := r.store.EventLogBound(ctx)
			if err != nil {
				return nil, fmt.Errorf("subscribe: %w", r.closedErr(err))
			}
			if f.From.c.Tx > bound.Tx || f.From.c.ID >= bound.ID {
				return nil, fmt.Errorf("subscribe from %s: %w: no event of this database has reached it", f.From, ErrUnknownCursor)
			}
		}
		return newSubscription(r, f, f.From.c, nil), nil
	}
	from, stored, err := r.store.EventCursor(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", r.closedErr(err))
	}
	return newSubscription(r, f, from, stored), nil
}

// newSubscription returns a subscription reading after from, skipping the
// events at stored (events after from stored before it started).
func newSubscription(r *Runner, f EventFilter, from store.Cursor, stored []store.Cursor) *Subscription {
	s := &Subscription{r: r, f: f, next: from, at: from, done: make(chan struct{})}
	if len(stored) > 0 {
		s.skip = make(map[store.Cursor]bool, len(stored))
		for _, c := range stored {
			s.skip[c] = true
		}
	}
	return s
}

// Subscription follows the event log; see Runner.Subscribe. Its methods
// other than Close are not for concurrent use.
type Subscription struct {
	r        *Runner
	f        EventFilter
	next     store.Cursor          // where the next read starts
	at       store.Cursor          // after the last event Next returned
	buf      []*store.Event        // read, not yet returned
	skip     map[store.Cursor]bool // events stored before a FromNow subscription started
	held     time.Duration         // the wait before reading again events held back; 0 when none
	ended    bool                  // the execution's last event was returned (UntilEnd)
	final    bool                  // the runner is shutting down: read to the end, then ErrRunnerClosed
	failures int                   // consecutive failed reads
	// finalBy bounds the wait for events held back once the runner is
	// shutting down.
	finalBy time.Time

	closeOnce sync.Once
	done      chan struct{}
}

// heldWait bounds the wait before reading again events that the store
// held back behind an open transaction (see store.ReadEventsResult.Held).
// No notification comes when that transaction ends if it is not one of
// the runner's (another database's, or one that rolled back), so the
// subscription reads again after a short wait, doubling up to the
// maximum.
// Once the runner is shutting down, a subscription waits for held events
// at most finalHold: its own were committed, and only a transaction of
// another process can hold them back.
const (
	heldWaitMin = 2 * time.Millisecond
	heldWaitMax = time.Second
	finalHold   = 5 * time.Second
)

// Next returns the next event, waiting until one is stored or ctx ends. It
// returns io.EOF after an UntilEnd subscription's last event,
// ErrSubscriptionClosed after Close, and ErrRunnerClosed once the runner
// has shut down (after the events it had read). A failed read of the
// store (a lost connection, the database restarting) is logged at Warn and
// tried again with backoff, from the same place, until ctx ends.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		if len(s.buf) > 0 {
			e := s.buf[0]
			s.buf = s.buf[1:]
			s.at = e.Cursor()
			if len(s.buf) == 0 {
				s.at = s.next
			}
			if s.skip[e.Cursor()] {
				delete(s.skip, e.Cursor())
				continue
			}
			if s.f.UntilEnd && e.TaskID == "" && isEndEvent(e.Kind) {
				s.ended = true
			}
			return eventFromStore(e), nil
		}
		switch {
		case s.ended:
			return Event{}, io.EOF
		case s.isClosed():
			return Event{}, ErrSubscriptionClosed
		}
		// Take the wake-up channel before reading, so that a write landing
		// during the read wakes the wait that follows it.
		wake := s.r.feed.wait()
		res, err := s.r.store.ReadEvents(ctx, &store.ReadEventsParams{After: s.next,
			ExecutionID: s.f.ExecutionID, WorkflowName: s.f.Workflow, RunnerID: s.f.runnerID})
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return Event{}, ctx.Err()
			case s.final || s.r.isClosed():
				return Event{}, ErrRunnerClosed
			}
			if err := s.backoff(ctx, err); err != nil {
				return Event{}, err
			}
			continue
		}
		s.failures = 0
		s.buf, s.next = res.Events, res.Next
		if len(s.buf) > 0 {
			continue
		}
		s.at = s.next
		if s.final && (!res.Held || time.Now().After(s.finalBy)) {
			return Event{}, ErrRunnerClosed
		}
		wait := s.r.cfg.FallbackPollInterval
		if res.Held {
			s.held = min(max(2*s.held, heldWaitMin), heldWaitMax)
			wait = s.held
		} else {
			s.held = 0
		}
		timer := time.NewTimer(wait) // the fallback for writes of other processes that wake nothing
		select {
		case <-wake:
		case <-timer.C:
		case <-s.r.subsEnd:
			if !s.final {
				s.final, s.finalBy = true, time.Now().Add(finalHold)
			}
		case <-s.done:
		case <-ctx.Done():
			timer.Stop()
			return Event{}, ctx.Err()
		}
		timer.Stop()
	}
}

// backoff waits before reading again after a failed read (a lost
// connection, the database restarting), longer after each failure in a
// row, and logs the failure. It returns the error Next should return
// instead, if any.
func (s *Subscription) backoff(ctx context.Context, readErr error) error {
	s.failures++
	wait := storeBackoff(s.failures)
	s.r.log.Warn("reading the event log failed; retrying", "error", readErr, "retry_in", wait, "failures", s.failures)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrSubscriptionClosed
	case <-s.r.subsEnd:
		return ErrRunnerClosed
	}
}

// Cursor returns the position after the last event Next returned (or
// after events the filter skipped since): a subscription started From it
// returns the events Next has not returned yet.
func (s *Subscription) Cursor() Cursor { return Cursor{s.at} }

// All returns the subscription's events as an iterator, for a range loop
// that stops at the first error other than io.EOF (yielded with a zero
// Event) or when the loop breaks. The subscription stays open.
func (s *Subscription) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			e, err := s.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Close ends the subscription: a Next waiting returns
// ErrSubscriptionClosed. It may be called from any goroutine, more than
// once.
func (s *Subscription) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

func (s *Subscription) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Follow returns the execution's events as an iterator, from its creation
// on, as they are stored, until its last one (its completion, failure or
// cancellation). The first error (ctx's, the runner shutting down, a
// failed read) is yielded with a zero Event and ends it.
//
//	for ev, err := range exec.Follow(ctx) {
//		if err != nil { ... }
//		fmt.Println(ev.Kind, ev.TaskID)
//	}
func (e *Execution) Follow(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		sub, err := e.r.Subscribe(ctx, EventFilter{ExecutionID: e.id, UntilEnd: true})
		if err != nil {
			yield(Event{}, err)
			return
		}
		defer sub.Close()
		for ev, err := range sub.All(ctx) {
			if !yield(ev, err) {
				return
			}
		}
	}
}

func isEndEvent(kind string) bool {
	return kind == store.EventExecutionCompleted || kind == store.EventExecutionFailed || kind == store.EventExecutionCancelled
}

func eventFromStore(e *store.Event) Event {
	return Event{ID: e.ID, ExecutionID: e.ExecutionID, WorkflowName: e.WorkflowName, WorkflowVersion: e.WorkflowVersion,
		TaskID: e.TaskID, Kind: e.Kind, Attempt: e.Attempt, RunnerID: e.RunnerID, Message: e.Message, At: e.At,
		Cursor: Cursor{e.Cursor()}}
}

// feed wakes subscriptions when the event log may have grown: after this
// runner's writes, and on every notification from other processes. A
// waiter takes the current channel; firing closes it, and the next waiter
// gets a new one. Firing with nobody waiting costs a lock.
type feed struct {
	mu sync.Mutex
	ch chan struct{}
}

func (f *feed) wait() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		f.ch = make(chan struct{})
	}
	return f.ch
}

func (f *feed) fire() {
	f.mu.Lock()
	if f.ch != nil {
		close(f.ch)
		f.ch = nil
	}
	f.mu.Unlock()
}

// EventHook is called for each event this runner appends to the event
// log, in log order, once the transaction that appended it has committed:
// the start and outcome of every attempt it ran, the tasks its
// transactions skipped, recovered or abandoned, and the executions it
// created, finished, cancelled, paused or resumed. Every event of the
// database is appended by exactly one runner, so across the runners of
// every process each event reaches the hooks once (a runner that dies
// between a commit and its hooks does not call them for that commit).
//
// Hooks are called from one goroutine of the runner, so a slow hook
// delays the next, never a task; Shutdown calls them for the last events
// and waits for them to return. ctx ends when the runner has shut down. A
// panic in a hook is logged and the next event goes on.
type EventHook func(ctx context.Context, ev Event)

// hookLoop feeds the event hooks from the log: the events this runner
// appends, from the end of the log at start-up on, until Shutdown has let
// it read the last of them.
func (r *Runner) hookLoop(sub *Subscription) {
	defer close(r.hooksDone)
	for {
		ev, err := sub.Next(r.bgHookCtx)
		if err != nil {
			return // ErrRunnerClosed: Next retries everything else
		}
		for _, h := range r.cfg.EventHooks {
			r.callEventHook(h, ev)
		}
	}
}

func (r *Runner) callEventHook(h EventHook, ev Event) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("event hook panicked", "execution_id", ev.ExecutionID, "kind", ev.Kind, "panic", v)
		}
	}()
	h(r.bgHookCtx, ev)
}
