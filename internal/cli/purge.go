package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

func purgeFlags(fs *flag.FlagSet) {
	fs.Duration("older-than", 0, "delete executions that finished more than this `duration` ago (required; e.g. 720h)")
	fs.String("status", "", "only executions in these terminal `states`, comma separated (completed, failed, cancelled; default all three)")
	fs.Int("batch", 500, "how many executions one transaction deletes")
}

func purge(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	older := c.fs.Lookup("older-than").Value.(flag.Getter).Get().(time.Duration)
	if older <= 0 {
		return usagef("--older-than is required and must be positive (e.g. --older-than 720h keeps 30 days)")
	}
	statuses, err := parseStatuses(c.str("status"))
	if err != nil {
		return err
	}
	for _, s := range statuses {
		if !s.Terminal() {
			return usagef("--status %s: only finished executions are purged (completed, failed, cancelled)", s)
		}
	}
	batch := c.flagInt("batch")
	if batch <= 0 {
		return usagef("--batch must be positive")
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		n, err := r.Purge(ctx, runtime.PurgeOptions{OlderThan: older, Statuses: statuses, BatchSize: batch})
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		if c.g.json {
			return writeJSON(c.env.Stdout, struct {
				Deleted int `json:"deleted"`
			}{n})
		}
		fmt.Fprintf(c.env.Stdout, "deleted %d executions that finished before %s\n", n, fmtTime(time.Now().Add(-older)))
		return nil
	})
}
