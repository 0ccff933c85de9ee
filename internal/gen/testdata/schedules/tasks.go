package schedules

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=etl inputs=mode:string

//cloacina:schedule workflow=etl name=nightly cron="0 2 * * *" timezone=Europe/Berlin catchup=all max_catchup=3
//cloacina:schedule overlap=buffer input=`{"mode": "full"}` start=2026-01-01T00:00:00+01:00 jitter=30s

//cloacina:schedule workflow=etl name=hourly cron=@hourly paused=true

//cloacina:task
func Extract(ctx context.Context, c *runtime.Context) error {
	mode, err := runtime.Get[string](c, "mode")
	if err != nil {
		return err
	}
	var at string
	if err := c.Get(runtime.InputScheduledTime, &at); err != nil {
		return err
	}
	return c.Set("rows", mode+at)
}

// NewFiles looks for files to ingest.
//
//cloacina:trigger workflow=etl poll=30s concurrency=allow
func NewFiles(ctx context.Context) (*runtime.Context, error) {
	c := runtime.NewContext()
	return c, c.Set("mode", "incremental")
}
