package flow_clean

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-clean inputs=mode:string

// Totals is a typed key shared by the tasks.
const Totals runtime.Key[map[string]int] = "totals"

// Event has a field that encodes itself (time.Time) and an embedded struct.
type Event struct {
	Meta
	At    time.Time `json:"at"`
	Count int64     `json:"count,string"`
}

// Meta is embedded in Event.
type Meta struct {
	Source string `json:"source"`
}

// Extract writes some keys only on some paths of its body: they count as
// written (see the package doc).
//
//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	mode, err := runtime.Get[string](c, "mode")
	if err != nil {
		return err
	}
	if mode == "full" {
		if err := c.Set("extra", []string{"x"}); err != nil {
			return err
		}
	}
	if err := c.Insert("event", Event{Meta: Meta{Source: "db"}, At: time.Now(), Count: 3}); err != nil {
		return err
	}
	return Totals.Insert(c, map[string]int{"acme": 1})
}

// Transform guards an optional read with Has, reads raw JSON, widens a
// number and reads a struct as a map.
//
//cloacina:task id=transform deps=extract
func Transform(ctx context.Context, c *runtime.Context) error {
	if c.Has("maybe") {
		if _, err := runtime.Get[int](c, "maybe"); err != nil {
			return err
		}
	}
	if raw, ok := c.Raw("anything"); ok {
		_ = raw
	}
	var e struct {
		Source string          `json:"source"`
		At     string          `json:"at"`
		Count  string          `json:"count"`
		Extra  json.RawMessage `json:"extra"`
	}
	if err := c.Get("event", &e); err != nil {
		return err
	}
	if _, err := runtime.Get[map[string]any](c, "event"); err != nil {
		return err
	}
	totals, err := Totals.Get(c)
	if err != nil {
		return err
	}
	if err := Totals.Update(c, totals); err != nil {
		return err
	}
	return c.Set("total", int32(len(totals)))
}

//cloacina:task id=side deps=extract
func Side(ctx context.Context, c *runtime.Context) error {
	extra, err := runtime.Get[[]string](c, "extra")
	if err != nil {
		return err
	}
	// A key the task creates itself may be updated.
	if err := c.Set("side", 0); err != nil {
		return err
	}
	return c.Update("side", len(extra))
}

// Load reads what both branches wrote; total is widened to int64.
//
//cloacina:task id=load deps=transform,side trigger_rules=all(task_success(transform), context_value(mode, equals, "full"), context_value(total, greater_than, 0))
func Load(ctx context.Context, c *runtime.Context) error {
	if _, err := runtime.Get[int64](c, "total"); err != nil {
		return err
	}
	if _, err := runtime.Get[float64](c, "side"); err != nil {
		return err
	}
	_, err := Totals.Get(c)
	return err
}
