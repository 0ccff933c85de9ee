// Package cron parses schedule expressions and computes their fire times,
// with the time-zone rules cloacina documents. It is shared by the
// generator, which checks //cloacina:schedule directives, and the runtime,
// which fires schedules, so both read an expression the same way.
//
// # Expressions
//
// Parsing is done by github.com/robfig/cron/v3 (the parser River and DBOS
// use), with these forms:
//
//	minute hour day-of-month month day-of-week            0 2 * * *
//	second minute hour day-of-month month day-of-week     */10 * * * * *
//	@yearly (@annually) @monthly @weekly @daily (@midnight) @hourly
//	@every <Go duration of at least 1s>                   @every 10s
//
// With six fields the seconds field comes first, as in robfig/cron's
// WithSeconds and Quartz. Fields take numbers, ranges (1-5), lists (1,15),
// steps (*/15, 10-50/10), month and weekday names (JAN, MON) and "?" for
// "*". When both day-of-month and day-of-week are restricted (neither
// starts with "*" or "?"), a day matches if either matches, as in Vixie
// cron: "0 0 1 * MON" fires on the 1st and on every Monday.
//
// # Time zones and daylight saving
//
// A calendar expression is read in wall-clock time of its zone. Where a
// wall-clock time does not exist that day (it falls in the gap when clocks
// go forward), the schedule fires once, at the first instant after the gap;
// several times in one gap make one fire. Where a wall-clock time occurs
// twice (clocks go back), it fires once, at the first occurrence.
//
// An @every expression ignores the calendar: it fires at anchor + k*d for
// whole k, the anchor being the schedule's start or, without one, the Unix
// epoch. So every process computes the same ticks.
package cron

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the zone database is embedded, so any IANA name works in a minimal container

	robfig "github.com/robfig/cron/v3"
)

// searchYears bounds the search for a calendar expression's next time: an
// expression that matches nothing in this many years (0 0 30 2 *) never
// fires.
const searchYears = 5

// Expr is a parsed schedule expression.
type Expr struct {
	text string
	// every is the interval of an @every expression; zero for calendar ones.
	every time.Duration
	spec  *robfig.SpecSchedule
}

var parser = robfig.NewParser(robfig.SecondOptional | robfig.Minute | robfig.Hour |
	robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// Parse parses an expression. Its errors say what is wrong in a way that
// can follow "cron: ".
func Parse(text string) (*Expr, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return nil, errors.New("empty expression; write 5 fields (minute hour day month weekday), 6 with seconds first, or a descriptor such as @daily or @every 10s")
	case strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ="):
		return nil, errors.New("a time zone prefix is not part of the expression; set timezone= instead")
	case strings.HasPrefix(t, "@every"):
		arg := strings.TrimSpace(strings.TrimPrefix(t, "@every"))
		d, err := time.ParseDuration(arg)
		if err != nil {
			return nil, fmt.Errorf("@every %s: %q is not a Go duration (e.g. 10s, 5m, 1h)", arg, arg)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("@every %s: the interval must be a whole number of seconds, at least 1s", arg)
		}
		return &Expr{text: t, every: d}, nil
	}
	s, err := parser.Parse(t)
	if err != nil {
		return nil, errors.New(cleanError(err.Error(), t))
	}
	spec, ok := s.(*robfig.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("unsupported expression %q", t)
	}
	e := &Expr{text: t, spec: spec}
	if e.Next(neverFrom, time.UTC, time.Time{}).IsZero() {
		return nil, fmt.Errorf("%q matches no date (such as February 30), so it would never fire", t)
	}
	return e, nil
}

// neverFrom is where Parse looks for a first fire time: the start of a
// leap year, so February 29 is found within the search.
var neverFrom = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// fieldNames names the fields of a five- and a six-field expression.
var fieldNames = map[int][]string{
	5: {"minute", "hour", "day-of-month", "month", "day-of-week"},
	6: {"second", "minute", "hour", "day-of-month", "month", "day-of-week"},
}

// cleanError rewords robfig's messages: about the number of fields, which
// speak of its parser options, and about a value, which it reports without
// saying which field holds it.
func cleanError(msg, expr string) string {
	fields := strings.Fields(expr)
	if names := fieldNames[len(fields)]; names != nil {
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			bad := msg[i+2:]
			for k, f := range fields {
				if f == bad || strings.Contains(msg, "from "+f+":") || strings.Contains(msg, "("+f+")") {
					return fmt.Sprintf("%s field %q: %s", names[k], f, msg[:i])
				}
			}
		}
	}
	if strings.Contains(msg, "expected ") && strings.Contains(msg, " fields") {
		return msg + "; write 5 fields (minute hour day month weekday) or 6 with seconds first"
	}
	if strings.HasPrefix(msg, "unrecognized descriptor") {
		return msg + "; descriptors are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly and @every <duration>"
	}
	return msg
}

// String returns the expression as written (trimmed).
func (e *Expr) String() string { return e.text }

// Every returns the interval of an @every expression, zero for calendar
// expressions.
func (e *Expr) Every() time.Duration { return e.every }

// Next returns the first fire time strictly after t, for the expression
// read in loc (calendar expressions) or anchored at anchor (@every; the zero
// anchor means the Unix epoch). It returns the zero time when there is none
// within five years.
func (e *Expr) Next(t time.Time, loc *time.Location, anchor time.Time) time.Time {
	if e.every > 0 {
		if anchor.IsZero() {
			anchor = time.Unix(0, 0)
		}
		if t.Before(anchor) {
			return anchor
		}
		k := t.Sub(anchor) / e.every
		next := anchor.Add((k + 1) * e.every)
		if !next.After(t) { // t.Sub saturated: t is centuries from anchor
			return time.Time{}
		}
		return next
	}
	if loc == nil {
		loc = time.UTC
	}
	w := t.In(loc)
	// Walk calendar days in wall-clock time, from t's day on.
	y, m, d := w.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // a civil date; UTC has no gaps
	first := true
	limit := day.AddDate(searchYears, 0, 0)
	for ; !day.After(limit); day, first = day.AddDate(0, 0, 1), false {
		if !e.dayMatches(day) {
			continue
		}
		fromH, fromM, fromS := 0, 0, 0
		if first {
			fromH, fromM, fromS = w.Hour(), w.Minute(), w.Second()
		}
		if at, ok := e.nextInDay(day, loc, t, first, fromH, fromM, fromS); ok {
			return at
		}
	}
	return time.Time{}
}

// nextInDay returns the first matching wall-clock time of day (from
// fromH:fromM:fromS on when first) whose instant is after t.
func (e *Expr) nextInDay(day time.Time, loc *time.Location, t time.Time, first bool, fromH, fromM, fromS int) (time.Time, bool) {
	s := e.spec
	for h := 0; h < 24; h++ {
		if s.Hour&(1<<uint(h)) == 0 || (first && h < fromH) {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if s.Minute&(1<<uint(mi)) == 0 || (first && h == fromH && mi < fromM) {
				continue
			}
			for sec := 0; sec < 60; sec++ {
				if s.Second&(1<<uint(sec)) == 0 || (first && h == fromH && mi == fromM && sec < fromS) {
					continue
				}
				at := resolve(day.Year(), day.Month(), day.Day(), h, mi, sec, loc)
				if at.After(t) {
					return at, true
				}
			}
		}
	}
	return time.Time{}, false
}

// dayMatches applies the month, day-of-month and day-of-week fields to a
// civil date, with Vixie cron's rule for restricted day fields.
func (e *Expr) dayMatches(day time.Time) bool {
	s := e.spec
	const star = 1 << 63
	if s.Month&(1<<uint(day.Month())) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(day.Day())) != 0
	dow := s.Dow&(1<<uint(day.Weekday())) != 0
	if s.Dom&star != 0 || s.Dow&star != 0 {
		return dom && dow
	}
	return dom || dow
}

// resolve turns a wall-clock time in loc into an instant: a time in a gap
// becomes the first instant after the gap, a time that occurs twice its
// first occurrence.
func resolve(y int, mo time.Month, d, h, mi, s int, loc *time.Location) time.Time {
	at := time.Date(y, mo, d, h, mi, s, 0, loc)
	want := time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	got := time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), at.Second(), 0, time.UTC)
	start, end := at.ZoneBounds()
	switch {
	case got.Before(want):
		// In a gap, moved back into the zone before it: the gap starts
		// where that zone ends.
		if !end.IsZero() {
			return end
		}
	case got.After(want):
		// In a gap, moved forward into the zone after it, which starts
		// where the gap ends.
		if !start.IsZero() {
			return start
		}
	case !start.IsZero():
		// The wall-clock time exists; if the previous zone had a larger
		// offset, it may hold the same wall-clock time earlier.
		_, off := at.Zone()
		_, prevOff := start.Add(-time.Nanosecond).Zone()
		if earlier := at.Add(-time.Duration(prevOff-off) * time.Second); prevOff > off && earlier.Before(start) {
			return earlier
		}
	}
	return at
}
