package trigger_rules

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=trigger-rules
//cloacina:workflow inputs="mode:string,rows:number,big:number,tags:array,dry_run:bool,enabled:bool,cursor,odd key,legacy:object,order:object,a.b:object"

//cloacina:task id=a
func A(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=b deps=a trigger_rules=always
func B(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=c deps=b trigger_rules=(any(task_failed(a), task_skipped(b), none()))
func C(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=d deps=c trigger_rules=all(task_success(c), none(task_failed(a)), always())
func D(ctx context.Context, c *runtime.Context) error { return nil }

// E compares context values with every operator and kind of literal.
//
//cloacina:task id=e deps=d
//cloacina:task trigger_rules=all(context_value(mode, equals, "full"), context_value(mode, not_equals, `raw\n`), context_value(rows, greater_than, 100), context_value(rows, less_than, -1.5e3), context_value(big, equals, 123456789012345678901234567890), context_value(tags, contains, "eu"), context_value(tags, not_contains, "us"), context_value(dry_run, equals, false), context_value(enabled, not_equals, true), context_value(cursor, equals, null), context_value("odd key", exists), context_value(legacy.flag, not_exists))
func E(ctx context.Context, c *runtime.Context) error { return nil }

// F tests fields of nested objects: a key with dots is a path, and a quoted
// segment holds a dot.
//
//cloacina:task id=f deps=e trigger_rules=any(context_value(order.tier, equals, "vip"), context_value("a.b".c, exists), context_value(order."x.y", greater_than, 1))
func F(ctx context.Context, c *runtime.Context) error { return nil }
