package schedule_errors

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=etl inputs=mode:string

//cloacina:schedule workflow=elt cron=@daily

//cloacina:schedule workflow=etl cron=@daily

//cloacina:schedule workflow=etl cron=@hourly input=`{"mode": 1, "moed": "x"}`

//cloacina:schedule workflow=etl name=new_files cron="0 2 * * *"

//cloacina:task
func Extract(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:trigger workflow=etl poll=30s
func NewFiles(ctx context.Context, c *runtime.Context) error { return nil }
