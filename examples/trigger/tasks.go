package main

//go:generate go tool cloacina-gen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=ingest description="Load each file dropped into the inbox" inputs=file:string

// inbox is the directory the trigger watches; main sets it.
var inbox string

// archived receives the report of each file archive has moved, for main
// to print.
var archived = make(chan string, 16)

// NewFile is polled every 200ms. It starts an ingest of the oldest file in
// the inbox; with concurrency=forbid (the default), a file whose ingest is
// still running is not started twice, however often it is polled.
//
//cloacina:trigger workflow=ingest poll=200ms
func NewFile(ctx context.Context) (*runtime.Context, error) {
	entries, err := os.ReadDir(inbox)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".csv") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, nil // nothing to do this time
	}
	sort.Strings(names)
	c := runtime.NewContext()
	return c, c.Set("file", names[0])
}

// Load reads the file and counts its lines.
//
//cloacina:task id=load
func Load(ctx context.Context, c *runtime.Context) error {
	name, err := runtime.Get[string](c, "file")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(inbox, name))
	if err != nil {
		return err
	}
	return c.Set("lines", strings.Count(string(data), "\n"))
}

// Archive moves the file out of the inbox, so the trigger stops seeing it.
//
//cloacina:task id=archive deps=load
func Archive(ctx context.Context, c *runtime.Context) error {
	name, err := runtime.Get[string](c, "file")
	if err != nil {
		return err
	}
	lines, err := runtime.Get[int](c, "lines")
	if err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(inbox, name), filepath.Join(inbox, name+".done")); err != nil {
		return err
	}
	report := fmt.Sprintf("%s: %d lines", name, lines)
	select {
	case archived <- report:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.Set("report", report)
}
