package postgres

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// Notifications are sent after the transactions that cause them commit,
// by the store's notifier, not inside them: a transaction that notifies
// takes the server's one notification-queue lock at its commit, so every
// committing transaction of every runner would take its turn at it. The
// notifier coalesces what the transactions of the last notifyEvery asked
// for into one statement: "r" once, and execution ids in lists. A lone
// notification after a quiet spell goes at once.
//
// A commit that appended events asks for "e" (events appended), sent only
// when nothing else is: any notification tells a follower of the event log
// to read it again. So a busy runner costs the followers of other
// processes at most one statement per notifyEvery.
//
// A notification is a wake-up, never the only record of anything: a runner
// that misses one (this process died between a commit and the send, the
// listening connection dropped) finds the work with its fallback poll.

// notifyEvery is the shortest time between two sends of a notifier.
const notifyEvery = 5 * time.Millisecond

// maxPayload is the longest payload sent; PostgreSQL refuses 8,000 bytes.
const maxPayload = 7900

type notifier struct {
	s       *Store
	mu      sync.Mutex
	ready   bool
	sched   bool // schedules changed
	events  bool
	ids     map[byte][]string // 'f' and 'c' -> execution ids
	kick    chan struct{}     // buffered(1): something to send
	quit    chan struct{}
	stopped chan struct{}
}

func newNotifier(s *Store) *notifier {
	n := &notifier{s: s, ids: map[byte][]string{}, kick: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
	go n.loop() // owned by the store: Close stops it
	return n
}

// add queues notifications: tasks ready, events appended, and executions
// finished or changed.
func (n *notifier) add(ready, events bool, finished, changed []string) {
	if !ready && !events && len(finished) == 0 && len(changed) == 0 {
		return
	}
	n.mu.Lock()
	n.ready = n.ready || ready
	n.events = n.events || events
	n.ids['f'] = append(n.ids['f'], finished...)
	n.ids['c'] = append(n.ids['c'], changed...)
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// addSchedules queues a notification that schedules changed.
func (n *notifier) addSchedules() {
	n.mu.Lock()
	n.sched = true
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// take returns the payloads queued and empties the queue.
func (n *notifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	if n.ready {
		out = append(out, "r")
	}
	if n.sched {
		out = append(out, "s")
	}
	n.sched = false
	for _, kind := range []byte{'c', 'f'} {
		out = append(out, lists(kind, n.ids[kind])...)
		n.ids[kind] = nil
	}
	if n.events && len(out) == 0 {
		out = append(out, "e")
	}
	n.ready, n.events = false, false
	return out
}

// lists joins ids into payloads "f:id,id,..." no longer than maxPayload.
func lists(kind byte, ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids)
	var out []string
	var b strings.Builder
	for i, id := range ids {
		if i > 0 && id == ids[i-1] {
			continue
		}
		if b.Len() > 0 && b.Len()+1+len(id) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteByte(kind)
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(id)
	}
	return append(out, b.String())
}

func (n *notifier) loop() {
	defer close(n.stopped)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		select {
		case <-n.kick:
		case <-n.quit:
			n.send()
			return
		}
		n.send()
		// Let the next notifications gather for a moment.
		wait.Reset(notifyEvery)
		select {
		case <-wait.C:
		case <-n.quit:
			wait.Stop()
			n.send()
			return
		}
	}
}

// send sends what is queued, in one autocommit statement. A failure is
// dropped: notifications are wake-ups (see above).
func (n *notifier) send() {
	payloads := n.take()
	if len(payloads) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = n.s.pool.Exec(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, n.s.channel, payloads)
}

// stop sends what is queued and stops the notifier.
func (n *notifier) stop() {
	close(n.quit)
	<-n.stopped
}
