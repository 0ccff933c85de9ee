package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// ScheduleTx is the part of Tx about schedules. Schedule rows are locked
// after task and execution rows (an operation that fires a schedule
// updates its row first, then creates executions: it touches no existing
// task or execution row, so the order cannot cross another's).
type ScheduleTx interface {
	// InsertSchedule inserts s at revision 1 and sets its Revision,
	// CreatedAt and UpdatedAt. A taken name fails with
	// store.ErrScheduleExists.
	InsertSchedule(s *store.Schedule) error
	// UpdateSchedule replaces the definition and state of the schedule
	// named s.Name if it is at revision rev, raising its revision, and
	// sets s.Revision, CreatedAt and UpdatedAt. It reports false when the
	// schedule is at another revision, and fails with
	// store.ErrScheduleNotFound when there is none.
	UpdateSchedule(s *store.Schedule, rev int64) (bool, error)
	// DeleteSchedule deletes a schedule and its fires and reports whether
	// it existed.
	DeleteSchedule(name string) (bool, error)
	// UnfinishedDedupe returns which of the hashes are the Dedupe of a
	// fire of the schedule whose execution is not terminal.
	UnfinishedDedupe(name string, hashes []string) (map[string]bool, error)
	// InsertFires inserts fires of a schedule, each stamped FiredAt now,
	// skipping those whose ScheduledAt the schedule has a fire for, and
	// returns which it inserted.
	InsertFires(name string, fires []*store.Fire) ([]bool, error)
}

// SaveSchedule implements store.Store.
func (e *Engine) SaveSchedule(ctx context.Context, p *store.SaveScheduleParams) (*store.Schedule, error) {
	if p.Schedule == nil || p.Schedule.Name == "" {
		return nil, errors.New("save schedule: no schedule name")
	}
	var out *store.Schedule
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		s := *p.Schedule
		out = &s
		if p.Revision == 0 {
			if err := tx.InsertSchedule(out); err != nil {
				return err
			}
		} else {
			ok, err := tx.UpdateSchedule(out, p.Revision)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("save schedule %s: %w", s.Name, store.ErrScheduleChanged)
			}
		}
		_, err := tx.Finish(&Final{Schedules: !p.Quiet})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save schedule %s: %w", p.Schedule.Name, err)
	}
	return out, nil
}

// DeleteSchedule implements store.Store.
func (e *Engine) DeleteSchedule(ctx context.Context, name string) (bool, error) {
	var found bool
	err := e.b.Write(ctx, time.Time{}, "", func(tx Tx) error {
		var err error
		if found, err = tx.DeleteSchedule(name); err != nil {
			return err
		}
		_, err = tx.Finish(&Final{Schedules: found})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete schedule %s: %w", name, err)
	}
	return found, nil
}

// FireSchedule implements store.Store.
func (e *Engine) FireSchedule(ctx context.Context, p *store.FireScheduleParams) (*store.FireScheduleResult, error) {
	if p.Revision != 0 && p.State == nil {
		return nil, fmt.Errorf("fire schedule %s: a revision without a state", p.Name)
	}
	var execs []*store.NewExecution
	for _, f := range p.Fires {
		if f.Execution != nil {
			execs = append(execs, f.Execution)
		}
	}
	var plans []*plan
	if len(execs) > 0 {
		var err error
		if plans, err = planCreate(&store.CreateExecutionsParams{Executions: execs, Decide: p.Decide}); err != nil {
			return nil, fmt.Errorf("fire schedule %s: %w", p.Name, err)
		}
	}
	var res *store.FireScheduleResult
	var chosen []*plan
	var rows []*ExecRow
	write := func(tx Tx) error {
		res = &store.FireScheduleResult{Applied: true}
		chosen, rows = nil, nil
		if p.Revision != 0 {
			st := *p.State
			st.Name = p.Name
			ok, err := tx.UpdateSchedule(&st, p.Revision)
			if err != nil {
				return err
			}
			if !ok {
				return errNoChange
			}
		}
		var hashes []string
		for _, f := range p.Fires {
			if f.Dedupe != "" && f.Execution != nil {
				hashes = append(hashes, f.Dedupe)
			}
		}
		running := map[string]bool{}
		if len(hashes) > 0 {
			var err error
			if running, err = tx.UnfinishedDedupe(p.Name, hashes); err != nil {
				return err
			}
		}
		fires := make([]*store.Fire, len(p.Fires))
		planOf := make([]*plan, len(p.Fires))
		j := 0
		for i, f := range p.Fires {
			fires[i] = &store.Fire{Schedule: p.Name, ScheduledAt: f.ScheduledAt, Kind: f.Kind, Outcome: f.Outcome, Dedupe: f.Dedupe}
			if f.Execution == nil {
				continue
			}
			pl := plans[j]
			j++
			if running[f.Dedupe] {
				fires[i].Outcome = store.FireSkippedRunning
				continue
			}
			running[f.Dedupe] = f.Dedupe != "" // a second fire with this input in the call
			fires[i].Outcome = store.FireStarted
			fires[i].ExecutionID = f.Execution.ID
			planOf[i] = pl
		}
		inserted, err := tx.InsertFires(p.Name, fires)
		if err != nil {
			return err
		}
		for i, ok := range inserted {
			if !ok {
				continue
			}
			res.Fires = append(res.Fires, fires[i])
			if planOf[i] != nil {
				chosen = append(chosen, planOf[i])
			}
		}
		o := newOp(tx, p.Decide)
		if rows, err = o.insert(chosen, nil); err != nil {
			return err
		}
		fin, err := o.finish()
		if err != nil {
			return err
		}
		res.Finished, res.Readied = fin, o.readied
		return nil
	}
	err := e.b.Write(ctx, p.Now, p.RunnerID, write)
	if errors.Is(err, errNoChange) {
		return &store.FireScheduleResult{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fire schedule %s: %w", p.Name, err)
	}
	res.Executions = stored(chosen, rows, nil, res.Finished)
	return res, nil
}
