package flow_trigger_keys

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-trigger-keys

// Order is what fetch writes.
type Order struct {
	Tier  string   `json:"tier"`
	Total int      `json:"total"`
	Tags  []string `json:"tags"`
}

//cloacina:task id=fetch
func Fetch(ctx context.Context, c *runtime.Context) error {
	if err := c.Insert("order", Order{Tier: "vip"}); err != nil {
		return err
	}
	return c.Insert("mode", "full")
}

//cloacina:task id=unknown deps=fetch trigger_rules=context_value(mdoe, equals, "full")
func Unknown(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=wrong_literal deps=fetch trigger_rules=any(context_value(order.tier, equals, 1), context_value(order.total, greater_than, 10), context_value(mode, greater_than, 3))
func WrongLiteral(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=contains deps=fetch trigger_rules=any(context_value(order.tags, contains, 3), context_value(order.total, contains, "x"), context_value(order.tags, contains, "eu"))
func Contains(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=no_field deps=fetch trigger_rules=context_value(order.region, equals, "eu")
func NoField(ctx context.Context, c *runtime.Context) error { return nil }

// Own does not see its own writes in its trigger rule, which is evaluated
// before it runs.
//
//cloacina:task id=own trigger_rules=context_value(flag, exists)
func Own(ctx context.Context, c *runtime.Context) error { return c.Set("flag", true) }
