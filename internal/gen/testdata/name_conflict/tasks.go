package name_conflict

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=a-b

//cloacina:workflow name=a_b

//cloacina:workflow name=ledger

// LedgerWorkflow is the user's own, and the generator must not redeclare it.
var LedgerWorkflow = "mine"

//cloacina:task workflow=a-b
func One(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=a_b
func Two(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=ledger
func Three(ctx context.Context, c *runtime.Context) error { return nil }
