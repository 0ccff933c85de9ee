package default_ids

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=default-ids

//cloacina:task
func ExtractCSV(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=extract_csv
func HTTPServerPing(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=http_server_ping
func loadV2(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=load_v2
func Already_snake(ctx context.Context, c *runtime.Context) error { return nil }
