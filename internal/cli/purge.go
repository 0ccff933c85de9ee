package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

func purgeFlags(fs *flag.FlagSet) {
	var d age
	fs.Var(&d, "older-than", "delete executions that finished more than this `age` ago (required; a Go duration such as 36h, or days such as 30d)")
	fs.String("status", "", "only executions in these terminal `states`, comma separated (completed, failed, cancelled; default all three)")
	fs.Int("batch", 500, "how many executions one transaction deletes")
}

func purge(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	older := time.Duration(*c.fs.Lookup("older-than").Value.(*age))
	if older <= 0 {
		return usagef("--older-than is required and must be positive (e.g. --older-than 30d keeps 30 days)")
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

// age is a flag value for a duration that also takes whole days: 30d.
type age time.Duration

func (a *age) String() string { return time.Duration(*a).String() }

func (a *age) Set(s string) error {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return fmt.Errorf("%q: write whole days such as 30d, or a Go duration such as 36h", s)
		}
		*a = age(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q: write a Go duration such as 36h, or whole days such as 30d", s)
	}
	*a = age(d)
	return nil
}
