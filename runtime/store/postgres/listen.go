package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Listen implements store.Notifier. It holds one dedicated connection
// (outside the pool) that LISTENs on the schema's channel, reconnecting
// with backoff when it is lost; after a reconnection it sends
// NotifyReconnected, since notifications may have been missed. The
// goroutine it starts exits, and the channel is closed, when ctx ends.
func (s *Store) Listen(ctx context.Context) (<-chan store.Notification, error) {
	conn, err := s.listenConn(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan store.Notification, 64)
	go s.listenLoop(ctx, conn, out)
	return out, nil
}

func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn, out chan<- store.Notification) {
	defer close(out)
	defer func() {
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
	}()
	backoff := 50 * time.Millisecond
	for {
		if conn == nil {
			// Reconnect with exponential backoff up to 5s; the wait ends early
			// when ctx does.
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			c, err := s.listenConn(ctx)
			if err != nil {
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
			conn, backoff = c, 50*time.Millisecond
			if !send(ctx, out, store.Notification{Kind: store.NotifyReconnected}) {
				return
			}
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			conn.Close(context.WithoutCancel(ctx))
			conn = nil
			continue
		}
		for _, note := range parsePayload(n.Payload) {
			if !send(ctx, out, note) {
				return
			}
		}
	}
}

func send(ctx context.Context, out chan<- store.Notification, n store.Notification) bool {
	select {
	case out <- n:
		return true
	case <-ctx.Done():
		return false
	}
}

// parsePayload reads the payloads the store sends: "r" (tasks ready),
// "s" (schedules changed), "e" (events appended), "f:<execution id>,..."
// (finished), "c:<execution id>,..." (changed).
func parsePayload(p string) []store.Notification {
	kinds := map[string]store.NotificationKind{"f:": store.NotifyExecutionFinished, "c:": store.NotifyExecutionChanged}
	switch p {
	case "r":
		return []store.Notification{{Kind: store.NotifyTasksReady}}
	case "s":
		return []store.Notification{{Kind: store.NotifySchedulesChanged}}
	case "e":
		return []store.Notification{{Kind: store.NotifyEventsAppended}}
	}
	if len(p) < 2 || kinds[p[:2]] == 0 {
		return nil
	}
	var out []store.Notification
	for _, id := range strings.Split(p[2:], ",") {
		if id != "" {
			out = append(out, store.Notification{Kind: kinds[p[:2]], ExecutionID: id})
		}
	}
	return out
}
