package runtime

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// listPage implements ListExecutionsPage: one more execution than the
// page holds is read, to know whether another page follows.
func (r *Runner) listPage(ctx context.Context, opts *PageOptions) (*ExecutionPage, error) {
	var o PageOptions
	if opts != nil {
		o = *opts
	}
	if o.Limit < 0 {
		return nil, fmt.Errorf("list executions: Limit must not be negative, got %d", o.Limit)
	}
	limit := cmp.Or(o.Limit, 100)
	p := &store.ListExecutionsParams{WorkflowName: o.Workflow, CreatedAfter: o.CreatedAfter, CreatedBefore: o.CreatedBefore,
		OriginName: o.OriginName, Limit: limit + 1}
	switch o.Origin {
	case "":
	case store.OriginDirect, OriginSchedule, OriginTrigger, OriginRetry:
		p.Origin = o.Origin
	default:
		return nil, fmt.Errorf("list executions: Origin %q is not one of %q, %q, %q or %q", o.Origin,
			store.OriginDirect, OriginSchedule, OriginTrigger, OriginRetry)
	}
	for _, s := range o.Status {
		st, err := toStoreExecState(s)
		if err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		p.States = append(p.States, st)
	}
	if o.Cursor != "" {
		c, err := decodePageCursor(o.Cursor)
		if err != nil {
			return nil, err
		}
		p.After = c
	}
	es, err := r.store.ListExecutions(ctx, p)
	if err != nil {
		return nil, r.closedErr(err)
	}
	page := &ExecutionPage{}
	if len(es) > limit {
		es = es[:limit]
		last := es[limit-1]
		page.Next = encodePageCursor(store.PageCursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	page.Executions = make([]ExecutionSummary, len(es))
	for i, e := range es {
		if page.Executions[i], err = summarize(e); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// encodePageCursor writes a cursor as URL-safe text: the creation time in
// Unix microseconds and the id.
func encodePageCursor(c store.PageCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "/" + c.ID))
}

func decodePageCursor(s string) (store.PageCursor, error) {
	bad := fmt.Errorf("list executions: cursor %q is not one ExecutionPage.Next returned", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.PageCursor{}, bad
	}
	at, id, ok := strings.Cut(string(raw), "/")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return store.PageCursor{}, bad
	}
	return store.PageCursor{CreatedAt: time.UnixMicro(us), ID: id}, nil
}
