package main

//go:generate go tool cloacina-gen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=etl description="Nightly extract, transform, load" inputs=mode:string

// The nightly run: a full load at 02:00 Berlin time. A runner that was down
// at 02:00 runs the missed night once when it comes back (catchup=latest);
// a night still running at the next 02:00 makes that tick skip.
//
//cloacina:schedule workflow=etl name=nightly cron="0 2 * * *" timezone=Europe/Berlin catchup=latest overlap=skip input=`{"mode":"full"}`

// Order is one row of the source data.
type Order struct {
	ID          int    `json:"id"`
	Customer    string `json:"customer"`
	AmountCents int    `json:"amount_cents"`
}

// Summary is what the load step writes.
type Summary struct {
	Customers    int `json:"customers"`
	Orders       int `json:"orders"`
	Rejected     int `json:"rejected"`
	RevenueCents int `json:"revenue_cents"`
}

// Extract reads the day's orders. A real job would query a database; this
// one returns a fixed batch, including one bad row for validate to reject.
//
//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	orders := []Order{
		{ID: 1, Customer: "acme", AmountCents: 12_500},
		{ID: 2, Customer: "globex", AmountCents: 4_999},
		{ID: 3, Customer: "acme", AmountCents: 7_250},
		{ID: 4, Customer: "initech", AmountCents: -300}, // a refund booked as an order
		{ID: 5, Customer: "globex", AmountCents: 15_000},
	}
	return c.Insert("orders", orders)
}

// Validate keeps the orders with a positive amount and counts the others.
//
//cloacina:task id=validate deps=extract
func Validate(ctx context.Context, c *runtime.Context) error {
	orders, err := runtime.Get[[]Order](c, "orders")
	if err != nil {
		return err
	}
	var valid []Order
	for _, o := range orders {
		if o.AmountCents > 0 && o.Customer != "" {
			valid = append(valid, o)
		}
	}
	if len(valid) == 0 {
		return runtime.Permanent(errors.New("no valid orders to process"))
	}
	if err := c.Insert("valid_orders", valid); err != nil {
		return err
	}
	return c.Insert("rejected", len(orders)-len(valid))
}

// Transform totals the valid orders per customer. Its first attempt fails
// on purpose, as a flaky dependency would, to show a retry.
//
//cloacina:task id=transform deps=validate retry_attempts=3 retry_backoff=fixed retry_delay=100ms retry_jitter=false on_failure=ReportFailedAttempt
func Transform(ctx context.Context, c *runtime.Context) error {
	if meta, ok := runtime.MetaFrom(ctx); ok && meta.Attempt == 1 {
		return runtime.Transient(errors.New("simulated transient failure: warehouse connection reset"))
	}
	orders, err := runtime.Get[[]Order](c, "valid_orders")
	if err != nil {
		return err
	}
	totals := map[string]int{}
	for _, o := range orders {
		totals[o.Customer] += o.AmountCents
	}
	return c.Insert("totals", totals)
}

// Load writes the day's summary.
//
//cloacina:task id=load deps=transform timeout=30s
func Load(ctx context.Context, c *runtime.Context) error {
	totals, err := runtime.Get[map[string]int](c, "totals")
	if err != nil {
		return err
	}
	orders, err := runtime.Get[[]Order](c, "valid_orders")
	if err != nil {
		return err
	}
	rejected, err := runtime.Get[int](c, "rejected")
	if err != nil {
		return err
	}
	s := Summary{Customers: len(totals), Orders: len(orders), Rejected: rejected}
	for _, cents := range totals {
		s.RevenueCents += cents
	}
	return c.Insert("summary", s)
}

// Archive keeps a copy of the totals, on full runs only: it is skipped
// unless the execution's input has mode = "full".
//
//cloacina:task id=archive deps=transform trigger_rules=all(task_success(transform), context_value(mode, equals, "full"))
func Archive(ctx context.Context, c *runtime.Context) error {
	totals, err := runtime.Get[map[string]int](c, "totals")
	if err != nil {
		return err
	}
	customers := make([]string, 0, len(totals))
	for name := range totals {
		customers = append(customers, name)
	}
	sort.Strings(customers)
	return c.Insert("archived", customers)
}

// Notify reports the outcome of the load, whether it succeeded or failed,
// and whether or not the archive ran.
//
//cloacina:task id=notify deps=load,archive trigger_rules=any(task_success(load), task_failed(load)) retry_attempts=1
func Notify(ctx context.Context, c *runtime.Context) error {
	var msg string
	if s, err := runtime.Get[Summary](c, "summary"); err == nil {
		msg = fmt.Sprintf("etl done: %d orders from %d customers, %d.%02d in revenue, %d rejected",
			s.Orders, s.Customers, s.RevenueCents/100, s.RevenueCents%100, s.Rejected)
	} else {
		msg = "etl failed: no summary was loaded"
	}
	if c.Has("archived") {
		msg += "; totals archived"
	}
	return c.Set("notification", msg)
}

// ReportFailedAttempt is called after each failed attempt of transform.
func ReportFailedAttempt(ctx context.Context, info *runtime.AttemptInfo) {
	next := "giving up"
	if info.WillRetry {
		next = "will retry"
	}
	fmt.Fprintf(os.Stderr, "etl: %s attempt %d/%d failed: %v (%s)\n",
		info.TaskID, info.Attempt, info.MaxAttempts, info.Err, next)
}
